import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteDef } from '../../src-shared/http-api';
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
 * Route options validating a route's input with its zod schemas (which also normalise it:
 * usernames lower-cased, spaces dropped from codes), params first, then query, then body; and
 * declaring the same schemas to Fastify as JSON Schema, which its Ajv then checks on the
 * normalised input. Runs before the gate (preHandler), so a handler only ever sees parsed input.
 */
export function routeInput(def: RouteDef) {
  const schema: Record<string, unknown> = {};
  if (def.params) schema.params = jsonSchema(def.params);
  if (def.query) schema.querystring = jsonSchema(def.query);
  if (def.body) schema.body = jsonSchema(def.body);
  return {
    schema,
    preValidation: async (request: FastifyRequest) => {
      if (def.params) request.params = parseInput(def.params, request.params);
      if (def.query) request.query = parseInput(def.query, request.query);
      if (def.body) {
        const raw = request.body === undefined && def.bodyOptional ? {} : request.body;
        request.body = parseInput(def.body, raw);
      }
    },
  };
}
