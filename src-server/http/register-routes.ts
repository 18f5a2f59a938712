/**
 * Puts the route table of src-shared/http-api in front of its handlers, as the IPC gate does for
 * channels (src-main/ipc/dispatch.ts). Each auth kind is one encapsulated Fastify plugin whose
 * first act is a preHandler hook running the gate for that kind; its routes are registered after
 * it, inside it, so none of them can run without it. A handler receives its input parsed by the
 * route's schemas and the gate's result typed by the route's auth kind, and answers the route's
 * reply type; the status comes from the table.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AUTH_KINDS,
  apiError,
  type BodyOf,
  type ParamsOf,
  type QueryOf,
  type ReplyOf,
  type RouteDef,
} from '../../src-shared/http-api';
import type { AuthGate, AuthResult } from './auth';
import { routeInput } from './validation';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's name in the table, for the gate hook and the reply check. */
    routeName?: string;
  }
}

export interface Call<D extends RouteDef> {
  body: BodyOf<D>;
  params: ParamsOf<D>;
  query: QueryOf<D>;
  auth: AuthResult<D['auth']['kind']>;
  /** For what is not input: the client's address, cookies; setting and clearing the cookie. */
  request: FastifyRequest;
  reply: FastifyReply;
}

export type RouteHandler<D extends RouteDef> = (call: Call<D>) => ReplyOf<D> | Promise<ReplyOf<D>>;

/** One handler per route of the table: a route without one does not compile. */
export type Handlers<T extends Record<string, RouteDef>> = { [K in keyof T]: RouteHandler<T[K]> };

/** The gate's answer for each request that passed it; a handler without one refuses to run. */
const passed = new WeakMap<FastifyRequest, AuthResult>();

export async function registerRoutes<T extends Record<string, RouteDef>>(
  app: FastifyInstance,
  table: T,
  handlers: Handlers<T>,
  gate: AuthGate,
): Promise<void> {
  const defOf = (request: FastifyRequest): RouteDef => {
    const name = request.routeOptions.config.routeName;
    const def = name === undefined ? undefined : table[name];
    if (!def) throw new Error(`No route table entry for ${request.method} ${request.routeOptions.url}.`);
    return def;
  };
  for (const kind of AUTH_KINDS) {
    const names = Object.keys(table).filter((name) => table[name]!.auth.kind === kind);
    if (names.length === 0) continue;
    await app.register(async (scope) => {
      scope.addHook('preHandler', async (request) => {
        passed.set(request, gate.check(defOf(request).auth, request));
      });
      for (const name of names) {
        const def = table[name]!;
        const handler = handlers[name] as RouteHandler<RouteDef>;
        const input = routeInput(def);
        scope.route({
          method: def.method,
          url: def.path,
          config: { routeName: name },
          ...(def.bodyLimit === undefined ? {} : { bodyLimit: def.bodyLimit }),
          schema: input.schema,
          preValidation: input.preValidation,
          handler: async (request, reply) => {
            if (!passed.has(request)) throw new Error(`${name} ran without its gate.`);
            const result = await handler({
              body: request.body,
              params: request.params,
              query: request.query,
              auth: passed.get(request)!,
              request,
              reply,
            });
            void reply.code(def.status ?? 200);
            return def.status === 204 || result === undefined ? reply.send() : result;
          },
        });
      }
    });
  }
}

/**
 * Test-only: checks every /api answer on the wire against the contract (the route's reply
 * schema and status on success, the ApiError shape otherwise). A mismatch is recorded and the
 * answer replaced by a 500, so the test that caused it fails where it looked.
 */
export function installReplyCheck(
  app: FastifyInstance,
  table: Record<string, RouteDef>,
  problems: string[],
): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (!request.url.startsWith('/api/') || request.method === 'HEAD') return payload;
    const problem = replyProblem(table, request, reply.statusCode, payload);
    if (problem === null) return payload;
    problems.push(problem);
    process.stderr.write(`reply check: ${problem}\n`);
    void reply.code(500).type('application/json; charset=utf-8');
    return JSON.stringify({ error: 'internal', message: `Reply check: ${problem}` });
  });
}

function replyProblem(
  table: Record<string, RouteDef>,
  request: FastifyRequest,
  status: number,
  payload: unknown,
): string | null {
  const where = `${request.method} ${request.url.split('?')[0]} ${status}`;
  const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString() : '';
  const json = (): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      return Symbol('not JSON');
    }
  };
  if (status >= 400) {
    const parsed = apiError.safeParse(json());
    return parsed.success ? null : `${where}: not an ApiError: ${parsed.error.issues[0]?.message}`;
  }
  const name = request.routeOptions.config.routeName;
  const def = name === undefined ? undefined : table[name];
  if (!def) return `${where}: answered by no route of the table`;
  if (status !== (def.status ?? 200)) return `${where}: ${name} answers ${def.status ?? 200}`;
  if (text === '') return def.reply.safeParse(undefined).success ? null : `${where}: empty body`;
  const parsed = def.reply.safeParse(json());
  return parsed.success
    ? null
    : `${where}: ${name}'s reply does not match its schema: ${JSON.stringify(parsed.error.issues[0])}`;
}
