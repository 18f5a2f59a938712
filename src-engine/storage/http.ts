/**
 * The account server's storage over HTTP: restic's REST protocol v2 (see docs/server.md), with
 * the device or storage token as a Bearer header. Packs map to data/. Every request has a timeout;
 * transient failures (network errors, silence, 429, 5xx) are retried with backoff, and the last one
 * names the server (UNREACHABLE). Refusals carry their HTTP status and a code: 401 and 403
 * UNAUTHORIZED, 404 NOT_FOUND, 507 QUOTA.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { EngineError } from '../errors';
import type { FileKind, Storage, StorageDescriptor } from './storage';

const MIME_V2 = 'application/vnd.x.restic.rest.v2';

/** How long to wait and how often to try again (the defaults suit a slow line; tests shorten them). */
export interface RestTimeouts {
  /** A request whose connection moves no byte for this long is given up (default 60 s). */
  timeoutMs?: number;
  /** Attempts after the first, for network errors, timeouts, 429 and 5xx (default 4). */
  retries?: number;
  /** The first pause between attempts, doubled each time (default 500 ms). */
  retryDelayMs?: number;
}

const DEFAULTS: Required<RestTimeouts> = { timeoutMs: 60_000, retries: 4, retryDelayMs: 500 };

/** A request given up because its connection was silent for too long. */
class RequestTimeout extends Error {
  constructor(ms: number) {
    super(`no answer for ${ms / 1000} s`);
  }
}

interface Answer {
  status: number;
  body: Buffer;
  headers: http.IncomingHttpHeaders;
}

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
  /** Connections stay open between requests. */
  private readonly agent: http.Agent;
  private readonly timeouts: Required<RestTimeouts>;

  constructor(
    url: string,
    private readonly token: string,
    timeouts: RestTimeouts = {},
  ) {
    this.base = parseRestUrl(url);
    this.agent = this.base.startsWith('https:')
      ? new https.Agent({ keepAlive: true })
      : new http.Agent({ keepAlive: true });
    this.timeouts = { ...DEFAULTS, ...timeouts };
  }

  get location(): string {
    return this.base;
  }

  get descriptor(): StorageDescriptor {
    const { timeoutMs, retries, retryDelayMs } = this.timeouts;
    return {
      kind: 'rest',
      url: this.base,
      token: this.token,
      timeouts: { timeoutMs, retries, retryDelayMs },
    };
  }

  /** The server as a person names it: its origin. */
  private get server(): string {
    return new URL(this.base).origin;
  }

  /**
   * One request through node:http. A pack is sent from the blobs it was built of, never concatenated
   * into one buffer first, and an answer's chunks are joined once. A connection silent for `timeoutMs`
   * (a stalled server) is given up: nothing waits for ever.
   */
  private send(
    method: string,
    path: string,
    opts: { parts?: Uint8Array[]; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const url = new URL(this.base + path);
    const request = url.protocol === 'https:' ? https.request : http.request;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: MIME_V2,
      ...opts.headers,
    };
    if (opts.parts) {
      headers['content-type'] = 'application/octet-stream';
      headers['content-length'] = String(opts.parts.reduce((n, p) => n + p.length, 0));
    }
    const { timeoutMs } = this.timeouts;
    return new Promise((resolve, reject) => {
      const req = request(url, { method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }),
        );
        res.once('error', reject);
        res.once('close', () => {
          if (!res.complete) reject(new Error('the answer was cut off'));
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new RequestTimeout(timeoutMs)));
      req.once('error', reject);
      for (const p of opts.parts ?? []) req.write(p);
      req.end();
    });
  }

  /**
   * `send` with retries for what may pass (network errors, silence, 429, 5xx other than 507);
   * `retried` says an earlier attempt may have landed. When every attempt failed, the error names
   * the server and what the last attempt met.
   */
  private async request(
    method: string,
    path: string,
    what: string,
    opts: { parts?: Uint8Array[]; headers?: Record<string, string> } = {},
  ): Promise<Answer & { retried: boolean }> {
    const { retries, retryDelayMs } = this.timeouts;
    let lastError: unknown;
    let lastStatus: number | undefined;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, retryDelayMs * 2 ** (attempt - 1)));
      let answer: Answer;
      try {
        answer = await this.send(method, path, opts);
      } catch (err) {
        lastError = err;
        lastStatus = undefined;
        continue;
      }
      if (answer.status === 429 || (answer.status >= 500 && answer.status !== 507)) {
        lastError = new Error(`HTTP ${answer.status}`);
        lastStatus = answer.status;
        continue;
      }
      return { ...answer, retried: attempt > 0 };
    }
    const attempts = `${retries + 1} attempt${retries === 0 ? '' : 's'}`;
    const cause = (lastError as Error)?.message ?? String(lastError);
    // A server that answers, but only with errors, is there: an I/O error; one that does not answer
    // (or says it cannot, 502-504) is unreachable.
    const unreachable = lastStatus === undefined || (lastStatus >= 502 && lastStatus <= 504);
    throw new EngineError(
      unreachable ? 'UNREACHABLE' : 'IO',
      unreachable
        ? `the server ${this.server} did not answer (${cause}; ${attempts}) while ${what} ${this.base}${path}`
        : `the server ${this.server} kept failing (${cause}; ${attempts}) while ${what} ${this.base}${path}`,
      { cause: lastError, ...(lastStatus ? { status: lastStatus } : {}) },
    );
  }

  /** Turns a refusal into an error a person can act on, with its code and status. */
  private refuse(answer: Answer, what: string, path: string): never {
    const { status } = answer;
    const text = answer.body.toString('utf8').trim();
    const where = `${this.base}${path}`;
    switch (status) {
      case 401:
        throw new EngineError(
          'UNAUTHORIZED',
          `the server refused the token (401) for ${where}: it was revoked or is wrong`,
          { status },
        );
      case 403:
        throw new EngineError(
          'UNAUTHORIZED',
          `the server refused ${what} ${where} (403): ${text || 'forbidden'}`,
          {
            status,
          },
        );
      case 404:
        throw new EngineError('NOT_FOUND', `${where} does not exist (${what})`, { status });
      case 507:
        throw new EngineError(
          'QUOTA',
          `the server's storage is full (507${text ? `: ${text}` : ''}) while ${what} ${where}`,
          { status, serverWords: text || undefined },
        );
      default:
        throw new EngineError('IO', `${what} ${where} failed: HTTP ${status} ${text}`, { status });
    }
  }

  async create(): Promise<void> {
    const head = await this.request('HEAD', 'config', 'checking');
    if (head.status === 200) {
      throw new EngineError(
        'REPOSITORY_EXISTS',
        `${this.base} already holds a repository; refusing to create one`,
      );
    }
    const answer = await this.request('POST', '?create=true', 'creating repository');
    if (answer.status !== 200) this.refuse(answer, 'creating repository', '');
  }

  async exists(name: string): Promise<boolean> {
    // A kind's folder exists once the repository was created: ask for its listing.
    const isFolder = ['keys', 'index', 'snapshots', 'locks', 'packs'].includes(name);
    const path = isFolder ? `${folderOf(name as FileKind)}/` : remotePath(name);
    const answer = await this.request(isFolder ? 'GET' : 'HEAD', path, 'checking');
    if (answer.status === 200) return true;
    if (answer.status === 404) return false;
    return this.refuse(answer, 'checking', path);
  }

  async read(name: string): Promise<Buffer> {
    const path = remotePath(name);
    const answer = await this.request('GET', path, 'reading');
    if (answer.status !== 200) this.refuse(answer, 'reading', path);
    return answer.body;
  }

  async readRange(name: string, offset: number, length: number): Promise<Buffer> {
    if (length === 0) return Buffer.alloc(0);
    const path = remotePath(name);
    const answer = await this.request('GET', path, 'reading', {
      headers: { range: `bytes=${offset}-${offset + length - 1}` },
    });
    if (answer.status === 416) return Buffer.alloc(0);
    if (answer.status !== 206 && answer.status !== 200) this.refuse(answer, 'reading', path);
    // A server that ignores Range sends the whole file: cut out the part asked for.
    return answer.status === 200 ? answer.body.subarray(offset, offset + length) : answer.body;
  }

  async size(name: string): Promise<number> {
    const path = remotePath(name);
    const answer = await this.request('HEAD', path, 'reading');
    if (answer.status !== 200) this.refuse(answer, 'reading', path);
    const length = Number(answer.headers['content-length']);
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
    const answer = await this.request('POST', path, 'writing', {
      parts: Array.isArray(data) ? data : [data],
    });
    // A 403 after a retry: an earlier attempt reached the server before the connection failed,
    // so the file is there.
    if (answer.status !== 200 && !(answer.status === 403 && answer.retried))
      this.refuse(answer, 'writing', path);
    if (name.startsWith('locks/')) this.ownLocks.add(name);
  }

  async list(kind: FileKind): Promise<string[]> {
    const path = `${folderOf(kind)}/`;
    const answer = await this.request('GET', path, 'listing');
    if (answer.status !== 200) this.refuse(answer, 'listing', path);
    const body = JSON.parse(answer.body.toString('utf8')) as Array<{ name: string } | string>;
    return body.map((e) => (typeof e === 'string' ? e : e.name));
  }

  async remove(name: string): Promise<void> {
    const path = remotePath(name);
    const answer = await this.request('DELETE', path, 'removing');
    if (answer.status !== 200 && answer.status !== 404) this.refuse(answer, 'removing', path);
    this.ownLocks.delete(name);
  }

  /** The server writes to temporary names itself and never lists them. */
  async listTemporary(): Promise<string[]> {
    return [];
  }
}
