/**
 * The account storage: restic's REST protocol version 2 under /storage/<username>/<repository>/
 * (restic's doc/REST_backend.rst; rest-server's repo/repo.go for the status codes). Bodies are
 * streamed, never parsed. A device or storage token authenticates, as HTTP Basic
 * (username:token, for restic's URL) or Bearer (the engine); it reaches its own account only.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STORAGE_PREFIX } from '../../src-shared/http-api';
import type { AuthGate, DeviceAuth } from '../http/auth';
import { STATUS } from '../http/errors';
import { securityHeaders } from '../http/security-headers';
import type { AccountRecords } from '../services/account-records';
import type { RequestContext } from '../services/audit-log';
import { ServiceError } from '../services/service-error';
import type { DeviceRow, SessionStore } from '../services/sessions';
import {
  BodyMismatchError,
  OUT_OF_SPACE,
  StoreFullError,
  type ByteRange,
  isOutOfSpace,
} from '../storage/object-store';
import type { FileType } from '../storage/object-table';
import {
  OBJECT_NAME_PATTERN,
  REPO_NAME_PATTERN,
  StorageRefusal,
  type RefusalReason,
  type StorageAccount,
  type StorageService,
} from '../storage/storage-service';
import { UploadCutOffError, UploadTooSlowError } from '../storage/upload-pace';

export const MIME_V1 = 'application/vnd.x.restic.rest.v1';
export const MIME_V2 = 'application/vnd.x.restic.rest.v2';

export interface StorageRouteDeps {
  storage: StorageService;
  sessions: SessionStore;
  accounts: AccountRecords;
  gate: AuthGate;
}

/** A protocol answer: status and a short text, as rest-server gives. */
class ProtocolError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

type Target =
  | { kind: 'repo' }
  | { kind: 'config' }
  | { kind: 'folder'; type: FileType }
  | { kind: 'file'; type: FileType; name: string };

interface Parsed {
  username: string;
  repo: string;
  target: Target;
}

/** /storage/<user>/<repo>/ then '', 'config', '<type>/' or '<type>/<64 hex>'. */
export function parseStoragePath(url: string): Parsed | null {
  const path = url.split('?')[0]!;
  if (!path.startsWith(STORAGE_PREFIX)) return null;
  const parts = path.slice(STORAGE_PREFIX.length).split('/');
  const [username, repo, ...rest] = parts;
  if (!username || !repo || !REPO_NAME_PATTERN.test(repo)) return null;
  const tail = rest.join('/');
  if (tail === '') return { username, repo, target: { kind: 'repo' } };
  if (tail === 'config') return { username, repo, target: { kind: 'config' } };
  const match = /^(data|keys|locks|snapshots|index)\/([^/]*)$/.exec(tail);
  if (!match) return null;
  const type = match[1] as FileType;
  if (match[2] === '') return { username, repo, target: { kind: 'folder', type } };
  if (!OBJECT_NAME_PATTERN.test(match[2]!)) return null;
  return { username, repo, target: { kind: 'file', type, name: match[2]! } };
}

const UNAUTHORIZED = (message = 'A device or storage token is needed.') =>
  new ProtocolError(401, message, {
    'www-authenticate': 'Basic realm="Strongroom storage", charset="UTF-8"',
  });

interface Caller {
  account: StorageAccount;
  device: DeviceRow;
  ctx: RequestContext;
}

function authenticate(request: FastifyRequest, deps: StorageRouteDeps, pathUser: string): Caller {
  const header = request.headers.authorization;
  if (typeof header !== 'string') throw UNAUTHORIZED();
  let token: string;
  let basicUser: string | null = null;
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (bearer) token = bearer[1]!;
  else if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw UNAUTHORIZED();
    basicUser = decoded.slice(0, colon);
    token = decoded.slice(colon + 1);
  } else throw UNAUTHORIZED();
  let auth: DeviceAuth;
  try {
    auth = deps.gate.storageToken(token, request);
  } catch (error) {
    // A token the server refuses is a 401 with its reason; anything else (the database failing)
    // is the server's fault and must not look like a wrong token.
    if (error instanceof ServiceError && STATUS[error.code] === 401) throw UNAUTHORIZED(error.message);
    throw error;
  }
  const { account, device } = auth;
  // Usernames are stored lower-case and typed in any case.
  if (basicUser !== null && basicUser.trim().toLowerCase() !== account.username) throw UNAUTHORIZED();
  // Another account's path: not found, so nothing about that account shows through.
  if (pathUser !== account.username) throw new ProtocolError(404, 'Not Found');
  if (deps.accounts.mustEnrollTotp(account)) {
    throw new ProtocolError(403, 'This server requires two-factor authentication: set it up first.');
  }
  return {
    account: { id: account.id, username: account.username },
    device,
    ctx: { address: request.ip, client: 'desktop', device: device.name },
  };
}

/** A single `bytes=` range, resolved against the size; null if there is no Range header. */
export function parseRange(header: string | undefined, size: number): ByteRange | null {
  if (header === undefined) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) {
    throw new ProtocolError(416, 'Only one byte range of the form bytes=a-b is supported.', {
      'content-range': `bytes */${size}`,
    });
  }
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || end < start) {
    throw new ProtocolError(416, 'Range Not Satisfiable', { 'content-range': `bytes */${size}` });
  }
  return { start, end };
}

function contentLength(request: FastifyRequest): number {
  const raw = request.headers['content-length'];
  if (raw === undefined || request.headers['transfer-encoding'] !== undefined) {
    throw new ProtocolError(411, 'Content-Length is required.');
  }
  if (!/^\d+$/.test(raw)) throw new ProtocolError(400, 'Content-Length is not a number.');
  return Number(raw);
}

export async function registerStorageRoutes(app: FastifyInstance, deps: StorageRouteDeps): Promise<void> {
  const { storage } = deps;
  await app.register(async (scope) => {
    // Bodies are streamed to the store as they come: no parser, no body limit here.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));

    scope.setErrorHandler((error: Error, request, reply) => {
      let status = 500;
      let message = 'Internal Server Error';
      let headers: Record<string, string> = {};
      if (error instanceof ProtocolError) ({ status, message, headers } = error);
      else if (error instanceof StorageRefusal) {
        status = REFUSAL_STATUS[error.reason];
        message = error.message;
        // restic and the engine retry a 429 with their own backoff; this says how soon.
        if (error.reason === 'busy') headers = { 'retry-after': '5' };
      } else if (error instanceof UploadTooSlowError) {
        status = 408;
        message = error.message;
      } else if (error instanceof UploadCutOffError) {
        status = 400;
        message = error.message;
      } else if (error instanceof BodyMismatchError) {
        status = 400;
        message = error.message;
      } else if (error instanceof StoreFullError) {
        status = 507;
        message = error.message;
      } else if (isOutOfSpace(error)) {
        // The database or the disk could not write: the server's space, not the account's quota.
        status = 507;
        message = OUT_OF_SPACE;
      } else if (error instanceof ServiceError) {
        // The host and origin checks run before this scope's routes: 421 unknown_host, 403 csrf.
        status = STATUS[error.code];
        message = error.message;
      } else if ((error as { code?: string }).code === 'ECONNRESET' || request.raw.aborted) {
        status = 400;
        message = 'The upload was cut off.';
      } else request.log.error({ err: error }, 'storage request failed');
      void reply.code(status).headers(headers).header('cache-control', 'no-store');
      // A refused upload whose body was not read to the end (the disk filled up half-way): the
      // rest of it is still on the connection, which Node would neither read nor reuse. Closing
      // it after the answer lets the client see the status and open a fresh connection.
      if (!request.raw.complete) void reply.header('connection', 'close');
      return reply.type('text/plain; charset=utf-8').send(`${message}\n`);
    });

    scope.route({
      method: ['GET', 'HEAD', 'POST', 'DELETE'],
      url: `${STORAGE_PREFIX}*`,
      exposeHeadRoute: false,
      handler: (request, reply) => handle(request, reply),
    });
  });

  async function handle(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const parsed = parseStoragePath(request.url);
    if (!parsed) throw new ProtocolError(404, 'Not Found');
    const caller = authenticate(request, deps, parsed.username);
    const { account } = caller;
    const { repo, target } = parsed;
    const method = request.method;
    const writer = { id: caller.device.id, name: caller.device.name };
    void reply.header('cache-control', 'no-store');

    if (target.kind === 'repo') {
      if (method !== 'POST') throw methodNotAllowed(['POST']);
      const create = (request.query as Record<string, string | undefined>).create;
      if (create !== 'true') throw new ProtocolError(400, 'Only POST ?create=true is supported here.');
      storage.createRepo(account, repo);
      return reply.code(200).send();
    }

    if (target.kind === 'folder') {
      if (method !== 'GET') throw methodNotAllowed(['GET']);
      const v2 = request.headers.accept === MIME_V2;
      const pages = storage.list(account, repo, target.type);
      // The first page before the status: a missing repository is still a 404.
      const first = await pages.next();
      return reply.type(v2 ? MIME_V2 : MIME_V1).send(Readable.from(listingJson(first, pages, v2)));
    }

    const type: FileType = target.kind === 'config' ? 'config' : target.type;
    const name = target.kind === 'config' ? '' : target.name;
    switch (method) {
      case 'HEAD': {
        const row = storage.stat(account, repo, type, name);
        // Hijacked so the Content-Length is the file's size, as restic's Stat reads it.
        reply.hijack();
        reply.raw.writeHead(200, {
          ...securityHeaders(request.protocol === 'https'),
          'content-length': String(row.size),
          'content-type': 'application/octet-stream',
          'accept-ranges': 'bytes',
          'cache-control': 'no-store',
        });
        reply.raw.end();
        return;
      }
      case 'GET': {
        const row = storage.stat(account, repo, type, name);
        const range = parseRange(request.headers.range, row.size);
        if (row.size === 0) return reply.type('application/octet-stream').send(Buffer.alloc(0));
        const stream = await storage.read(account, repo, type, name, range ?? undefined);
        void reply.type('application/octet-stream').header('accept-ranges', 'bytes');
        if (range) {
          void reply
            .code(206)
            .header('content-range', `bytes ${range.start}-${range.end}/${row.size}`)
            .header('content-length', String(range.end - range.start + 1));
        } else void reply.header('content-length', String(row.size));
        return reply.send(stream);
      }
      case 'POST': {
        const size = contentLength(request);
        const idle = keepAliveUntilAnswered(request, reply);
        await storage.write(account, repo, type, name, request.raw, size, writer, idle);
        return reply.code(200).send();
      }
      case 'DELETE':
        await storage.deleteByToken(account, repo, type, name, writer, caller.ctx);
        return reply.code(200).send();
      default:
        throw methodNotAllowed(['HEAD', 'GET', 'POST', 'DELETE']);
    }
  }
}

const REFUSAL_STATUS: Record<RefusalReason, number> = {
  not_found: 404,
  exists: 403,
  quota: 507,
  bad_request: 400,
  range: 416,
  limit: 403,
  busy: 429,
  too_slow: 408,
};

/**
 * The connection's idle timeout is for a client that went silent, not for a server that is busy:
 * it stops while the server holds the body back (the store is slow, or an upload of the same name
 * is completing) and once the whole body is in (an S3 multipart upload completing), so the client
 * is not cut off with its file stored and no reply. The returned function tells it which.
 */
function keepAliveUntilAnswered(request: FastifyRequest, reply: FastifyReply): (held: boolean) => void {
  const socket = request.raw.socket;
  const idle = (socket as { timeout?: number }).timeout ?? 0;
  let answered = false;
  request.raw.once('end', () => socket.setTimeout(0));
  reply.raw.once('close', () => {
    answered = true;
    if (!socket.destroyed) socket.setTimeout(idle);
  });
  return (held) => {
    if (!answered && !request.raw.complete && !socket.destroyed) socket.setTimeout(held ? 0 : idle);
  };
}

/** A listing as JSON, page by page: v1 names, v2 names and sizes. */
async function* listingJson(
  first: IteratorResult<Array<{ name: string; size: number }>>,
  rest: AsyncIterator<Array<{ name: string; size: number }>>,
  v2: boolean,
): AsyncGenerator<string> {
  yield '[';
  let separator = '';
  for (let page = first; !page.done; page = await rest.next()) {
    let text = '';
    for (const f of page.value) {
      text += separator + (v2 ? JSON.stringify({ name: f.name, size: f.size }) : JSON.stringify(f.name));
      separator = ',';
    }
    yield text;
  }
  yield ']';
}

function methodNotAllowed(allowed: string[]): ProtocolError {
  return new ProtocolError(405, 'Method Not Allowed', { allow: allowed.join(', ') });
}
