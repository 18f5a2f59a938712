import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ServiceError } from '../services/service-error';

/** Fastify's Ajv speaks draft-07; drop the 2020-12 marker z.toJSONSchema adds. */
function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return rest;
}

export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const message = issue?.message ?? 'Invalid input.';
    const field = issue?.path.join('.') ?? '';
    // The contract's own messages are whole sentences a person can read; zod's defaults
    // ("Invalid input: expected string") need the field they are about.
    const named = field === '' || message.endsWith('.');
    throw new ServiceError('bad_request', named ? message : `${field}: ${message}`);
  }
  return result.data;
}

/**
 * Route options validating the body with the contract's zod schema (which also normalizes it:
 * usernames lower-cased, spaces dropped from codes) and declaring the same schema to Fastify
 * as JSON Schema, which its Ajv then checks on the normalized body.
 */
export function withBody<S extends z.ZodType>(schema: S, opts: { emptyIsObject?: boolean } = {}) {
  return {
    schema: { body: jsonSchema(schema) },
    preValidation: async (request: FastifyRequest) => {
      const raw = request.body === undefined && opts.emptyIsObject ? {} : request.body;
      request.body = parseInput(schema, raw);
    },
  };
}

export function withParams<S extends z.ZodType>(schema: S) {
  return {
    schema: { params: jsonSchema(schema) },
    preValidation: async (request: FastifyRequest) => {
      request.params = parseInput(schema, request.params);
    },
  };
}
