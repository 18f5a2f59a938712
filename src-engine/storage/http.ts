/**
 * The account server's storage over HTTP: restic's REST protocol v2 (see docs/server.md), with
 * the device or storage token as a Bearer header. Packs map to data/. Transient failures
 * (network errors, 429, 5xx) are retried with backoff; 401, 403, 404 and 507 are explained.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { EngineError } from '../errors';
import type { FileKind, Storage, StorageDescriptor } from './storage';

const MIME_V2 = 'application/vnd.x.restic.rest.v2';
const RETRIES = 4;
const RETRY_BASE_MS = 500;

/** `rest:http(s)://host:port/storage/<user>/<repo>/`: the part after `rest:`, ending in '/'. */
export function parseRestUrl(repo: string): string {
  const raw = repo.startsWith('rest:') ? repo.slice(5) : repo;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new EngineError('INVALID_ARGUMENT', `--repo: not a rest:http(s)://... address: ${repo}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EngineError('INVALID_ARGUMENT', `--repo: rest: needs an http or https address: ${repo}`);
  }
  if (url.username || url.password) {
    // Command lines are readable by other users of the machine.
    throw new EngineError(
      'INVALID_ARGUMENT',
      '--repo: put no token in the address; set STRONGROOM_STORAGE_TOKEN or STRONGROOM_STORAGE_TOKEN_FILE',
    );
  }
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/** The token for a rest: repository, from the environment or a file it names (never argv). */
export function storageTokenFromEnv(env: NodeJS.ProcessEnv): string {
  const direct = env.STRONGROOM_STORAGE_TOKEN;
  if (direct) return direct.trim();
  const file = env.STRONGROOM_STORAGE_TOKEN_FILE;
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new EngineError('INVALID_ARGUMENT', `STRONGROOM_STORAGE_TOKEN_FILE: cannot read ${file}`, {
        cause: err,
      });
    }
  }
  throw new EngineError(
    'INVALID_ARGUMENT',
    'a rest: repository needs a token: set STRONGROOM_STORAGE_TOKEN or STRONGROOM_STORAGE_TOKEN_FILE',
  );
}

/** Engine file name -> protocol path. */
function remotePath(name: string): string {
  if (name === 'config') return 'config';
  const parts = name.split('/');
  if (parts[0] === 'packs' && parts.length === 3) return `data/${parts[2]}`;
  if (parts.length === 2 && ['keys', 'index', 'snapshots', 'locks'].includes(parts[0]!)) return name;
  throw new EngineError('INVALID_ARGUMENT', `bad name ${name}`);
}

const folderOf = (kind: FileKind) => (kind === 'packs' ? 'data' : kind);

export class RestHttpStorage implements Storage {
  readonly base: string;
  /** Locks this process wrote: refreshing one replaces it (the server never overwrites). */
  private readonly ownLocks = new Set<string>();
  /** Uploads keep their connections open between packs, as fetch does for everything else. */
  private readonly agent: http.Agent;

  constructor(
    url: string,
    private readonly token: string,
  ) {
    this.base = parseRestUrl(url);
    this.agent = this.base.startsWith('https:')
      ? new https.Agent({ keepAlive: true })
      : new http.Agent({ keepAlive: true });
  }

  get location(): string {
    return this.base;
  }

  get descriptor(): StorageDescriptor {
    return { kind: 'rest', url: this.base, token: this.token };
  }

  private async request(
    method: string,
    path: string,
    opts: { body?: Buffer; headers?: Record<string, string>; what: string },
  ): Promise<Response> {
    let lastError: unknown;
    for (let attempt = 0; attempt <= RETRIES; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, RETRY_BASE_MS * 2 ** (attempt - 1)));
      let response: Response;
      try {
        response = await fetch(this.base + path, {
          method,
          headers: { authorization: `Bearer ${this.token}`, accept: MIME_V2, ...opts.headers },
          ...(opts.body ? { body: opts.body as Uint8Array<ArrayBuffer> } : {}),
        });
      } catch (err) {
        lastError = err;
        continue;
      }
      if (response.status === 429 || response.status >= 500) {
        if (response.status === 507) return response;
        lastError = new Error(`HTTP ${response.status}`);
        await response.arrayBuffer().catch(() => undefined);
        continue;
      }
      return response;
    }
    throw new EngineError(
      'IO',
      `${opts.what} ${this.base}${path} failed after ${RETRIES + 1} attempts: ${(lastError as Error)?.message ?? lastError}`,
      { cause: lastError },
    );
  }

  /**
   * One request through node:http, for the two that move bytes: a pack is sent from the blobs it
   * was built of, never concatenated into one 16 MiB buffer and copied again into fetch's body
   * stream, and a read collects the answer's chunks and joins them once, without fetch's web
   * stream step per 64 KiB (together most of the client's extra CPU over HTTP).
   */
  private send(
    method: 'GET' | 'POST',
    path: string,
    opts: { parts?: Uint8Array[]; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: Buffer }> {
    const url = new URL(this.base + path);
    const request = url.protocol === 'https:' ? https.request : http.request;
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, ...opts.headers };
    if (opts.parts) {
      headers['content-type'] = 'application/octet-stream';
      headers['content-length'] = String(opts.parts.reduce((n, p) => n + p.length, 0));
    }
    return new Promise((resolve, reject) => {
      const req = request(url, { method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.once('error', reject);
      });
      req.once('error', reject);
      for (const p of opts.parts ?? []) req.write(p);
      req.end();
    });
  }

  /** `send` with the same retries as `request`; `retried` says an earlier attempt may have landed. */
  private async sendWithRetries(
    method: 'GET' | 'POST',
    path: string,
    what: string,
    opts: { parts?: Uint8Array[]; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: Buffer; retried: boolean }> {
    let lastError: unknown;
    for (let attempt = 0; attempt <= RETRIES; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, RETRY_BASE_MS * 2 ** (attempt - 1)));
      let answer: { status: number; body: Buffer };
      try {
        answer = await this.send(method, path, opts);
      } catch (err) {
        lastError = err;
        continue;
      }
      if (answer.status === 429 || (answer.status >= 500 && answer.status !== 507)) {
        lastError = new Error(`HTTP ${answer.status}`);
        continue;
      }
      return { ...answer, retried: attempt > 0 };
    }
    throw new EngineError(
      'IO',
      `${what} ${this.base}${path} failed after ${RETRIES + 1} attempts: ${(lastError as Error)?.message ?? lastError}`,
      { cause: lastError },
    );
  }

  /** Turns a refusal into an error a person can act on. */
  private async refuse(response: Response, what: string, path: string): Promise<never> {
    return this.refuseWith(response.status, await response.text().catch(() => ''), what, path);
  }

  private refuseWith(status: number, body: string, what: string, path: string): never {
    const text = body.trim();
    const where = `${this.base}${path}`;
    switch (status) {
      case 401:
        throw new EngineError(
          'IO',
          `the server refused the token (401) for ${where}: it was revoked or is wrong`,
        );
      case 403:
        throw new EngineError('IO', `the server refused ${what} ${where} (403): ${text || 'forbidden'}`);
      case 404:
        throw new EngineError('NOT_FOUND', `${where} does not exist (${what})`);
      case 507:
        throw new EngineError(
          'DISK_FULL',
          `the server's storage is full (507: quota or disk) while ${what} ${where}`,
        );
      default:
        throw new EngineError('IO', `${what} ${where} failed: HTTP ${status} ${text}`);
    }
  }

  async create(): Promise<void> {
    const head = await this.request('HEAD', 'config', { what: 'checking' });
    if (head.status === 200) {
      throw new EngineError(
        'REPOSITORY_EXISTS',
        `${this.base} already holds a repository; refusing to create one`,
      );
    }
    const response = await this.request('POST', '?create=true', { what: 'creating repository' });
    if (response.status !== 200) await this.refuse(response, 'creating repository', '');
    await response.arrayBuffer();
  }

  async exists(name: string): Promise<boolean> {
    // A kind's folder exists once the repository was created: ask for its listing.
    const isFolder = ['keys', 'index', 'snapshots', 'locks', 'packs'].includes(name);
    const path = isFolder ? `${folderOf(name as FileKind)}/` : remotePath(name);
    const response = await this.request(isFolder ? 'GET' : 'HEAD', path, { what: 'checking' });
    await response.arrayBuffer().catch(() => undefined);
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    return this.refuse(response, 'checking', path);
  }

  async read(name: string): Promise<Buffer> {
    const path = remotePath(name);
    const answer = await this.sendWithRetries('GET', path, 'reading');
    if (answer.status !== 200) this.refuseWith(answer.status, answer.body.toString('utf8'), 'reading', path);
    return answer.body;
  }

  async readRange(name: string, offset: number, length: number): Promise<Buffer> {
    if (length === 0) return Buffer.alloc(0);
    const path = remotePath(name);
    const answer = await this.sendWithRetries('GET', path, 'reading', {
      headers: { range: `bytes=${offset}-${offset + length - 1}` },
    });
    if (answer.status === 416) return Buffer.alloc(0);
    if (answer.status !== 206 && answer.status !== 200) {
      this.refuseWith(answer.status, answer.body.toString('utf8'), 'reading', path);
    }
    // A server that ignores Range sends the whole file: cut out the part asked for.
    return answer.status === 200 ? answer.body.subarray(offset, offset + length) : answer.body;
  }

  async size(name: string): Promise<number> {
    const path = remotePath(name);
    const response = await this.request('HEAD', path, { what: 'reading' });
    if (response.status !== 200) await this.refuse(response, 'reading', path);
    const length = Number(response.headers.get('content-length'));
    if (!Number.isInteger(length))
      throw new EngineError('IO', `the server gave no size for ${this.base}${path}`);
    return length;
  }

  async write(name: string, data: Uint8Array | Uint8Array[]): Promise<void> {
    const path = remotePath(name);
    if (name.startsWith('locks/') && this.ownLocks.has(name)) {
      // A refreshed lock: the server keeps files create-only, so the old one goes first (a token
      // may really delete the locks it created).
      await this.remove(name);
    }
    const answer = await this.sendWithRetries('POST', path, 'writing', {
      parts: Array.isArray(data) ? data : [data],
    });
    // A 403 after a retry: an earlier attempt reached the server before the connection failed,
    // so the file is there.
    if (answer.status !== 200 && !(answer.status === 403 && answer.retried)) {
      this.refuseWith(answer.status, answer.body.toString('utf8'), 'writing', path);
    }
    if (name.startsWith('locks/')) this.ownLocks.add(name);
  }

  async list(kind: FileKind): Promise<string[]> {
    const path = `${folderOf(kind)}/`;
    const response = await this.request('GET', path, { what: 'listing' });
    if (response.status !== 200) await this.refuse(response, 'listing', path);
    const body = (await response.json()) as Array<{ name: string } | string>;
    return body.map((e) => (typeof e === 'string' ? e : e.name));
  }

  async remove(name: string): Promise<void> {
    const path = remotePath(name);
    const response = await this.request('DELETE', path, { what: 'removing' });
    if (response.status !== 200 && response.status !== 404) await this.refuse(response, 'removing', path);
    await response.arrayBuffer().catch(() => undefined);
    this.ownLocks.delete(name);
  }

  /** The server writes to temporary names itself and never lists them. */
  async listTemporary(): Promise<string[]> {
    return [];
  }
}
