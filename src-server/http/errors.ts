import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KEY_ERROR_STATUS } from '../../src-shared/account-keys-api';
import type { ApiError, ErrorCode } from '../../src-shared/http-api';
import { ServiceError } from '../services/service-error';
import { applySecurityHeaders, securityHeaders } from './security-headers';

export const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  invalid_credentials: 401,
  totp_required: 401,
  throttled: 429,
  not_signed_in: 401,
  session_expired: 401,
  csrf: 403,
  forbidden_scope: 403,
  totp_enrollment_required: 403,
  wrong_code: 400,
  enrolment_expired: 410,
  no_pending_enrolment: 409,
  totp_already_enabled: 409,
  totp_not_enabled: 409,
  signup_disabled: 403,
  username_taken: 409,
  not_found: 404,
  payload_too_large: 413,
  unknown_host: 421,
  password_changed: 401,
  reauthentication_required: 403,
  server_out_of_space: 507,
  ...KEY_ERROR_STATUS,
  internal: 500,
};

import { OUT_OF_SPACE as OUT_OF_SPACE_MESSAGE, isOutOfSpace } from '../storage/object-store';

export { OUT_OF_SPACE_MESSAGE, isOutOfSpace };

/**
 * One error shape for every refusal. Service refusals keep their code; anything Fastify
 * rejects before a handler (bad JSON, wrong content type, too large, schema) becomes a 4xx
 * bad_request with its message; only a real fault is a 500, and its details go to the log only.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ServiceError, request, reply) => {
    if (error instanceof ServiceError) {
      const body: ApiError = { error: error.code, message: error.message };
      if (error.retryAfterSeconds !== undefined) {
        body.retryAfterSeconds = error.retryAfterSeconds;
        void reply.header('retry-after', String(error.retryAfterSeconds));
      }
      return reply.code(STATUS[error.code]).send(body);
    }
    const status = (error as FastifyError).statusCode;
    if ((error as FastifyError).validation) {
      return send(reply, 'bad_request', `Invalid request: ${error.message}`);
    }
    if (status === 413) return send(reply, 'payload_too_large', 'The request body is too large.');
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.code(status).send({ error: 'bad_request', message: error.message } satisfies ApiError);
    }
    if (isOutOfSpace(error)) {
      request.log.error({ err: error }, 'out of disk space');
      return send(reply, 'server_out_of_space', OUT_OF_SPACE_MESSAGE);
    }
    request.log.error({ err: error }, 'request failed');
    // Any other fault (SQLITE_IOERR, a bug): the server's problem, never the caller's credentials.
    return send(reply, 'internal', 'Something went wrong on the server. Try again in a moment.');
  });
}

function send(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  return reply.code(STATUS[code]).send({ error: code, message } satisfies ApiError);
}

/**
 * Fastify answers a URL it cannot route (bad percent-encoding, a parameter over maxParamLength)
 * before any hook runs, with its own body and without our headers. This Fastify option (
 * `frameworkErrors`) gives those answers the contract's error shape and the security headers,
 * and does not echo the URL back.
 */
export function frameworkErrorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  applySecurityHeaders(request, reply);
  const status =
    error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500
      ? error.statusCode
      : 400;
  const body: ApiError = { error: 'bad_request', message: 'The address of this request is not valid.' };
  void reply.code(status).type('application/json; charset=utf-8').send(body);
}

/**
 * Node's HTTP parser refuses some requests before Fastify sees them (an unknown method, headers
 * over the size limit, Content-Length with chunked encoding, garbage): Fastify's default answer
 * has neither our headers nor our error shape. This `clientErrorHandler` writes the same error
 * body and security headers on the raw socket, then closes it (the stream cannot be trusted).
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'The request headers are too large.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request took too long to arrive.']
        : [400, 'The request is not valid HTTP.'];
  const body = JSON.stringify({ error: 'bad_request', message } satisfies ApiError);
  const headers: Record<string, string> = {
    ...securityHeaders((socket as TLSSocket).encrypted === true),
    'cache-control': 'no-store',
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  };
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  if (socket.writable) socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head}\r\n${body}`);
  else socket.destroy();
}
