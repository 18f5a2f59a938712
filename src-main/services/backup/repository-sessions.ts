/**
 * Repository sessions: the queries of the restore wizard (the backups list, one folder of a backup)
 * go to one long-lived job process per vault, which keeps the repository open (its key and its index)
 * between them, instead of a new process, a key derivation and an index read for every folder opened.
 * An EngineRunner, so its callers do not change; requests it does not serve (backups, restores,
 * verify, catalogue: jobs with their own process) go to the runner it wraps.
 *
 * A session belongs to one exact repository location (the device token included) and one password:
 * a request for the same place with another password never reaches it (the password's digest is
 * compared in constant time), it gets a process of its own, and the other session ends. Requests to a
 * session run one at a time, in order. A session ends when the app locks (no process is left), after
 * `idleMs` without a request, when its vault is removed or its place or password changes, and on any
 * protocol error; a process that crashes costs the request it was answering (failed, with words), and
 * the next request starts a new session.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import {
  emptyOutcome,
  type JobOutcome,
  type JobRequest,
  type RepoLocation,
} from '../../../src-shared/job-protocol';
import type { EngineRunHandlers, EngineRunner } from './engine-runner';

/** One started session process, as the process adapters provide it. */
export interface SessionProcess {
  /** Runs one request; never rejects (as EngineRunner.run). One at a time. */
  run(request: JobRequest, handlers: EngineRunHandlers, signal: AbortSignal): Promise<JobOutcome>;
  /** Asks the process to exit (and kills it if it does not); resolves once it is gone. */
  end(): Promise<void>;
  /** Called once, when the process is gone (ended, crashed, or stopped for breaking the protocol). */
  onGone(listener: () => void): void;
}

export interface SessionProcessStarter {
  startSession(): SessionProcess;
}

/** Where a repository is, without the token: what a vault's place is compared by. */
export type RepoPlace = { kind: 'local'; path: string } | { kind: 'account'; url: string };

/**
 * Five minutes: a person browsing the restore tree opens folders seconds to a minute apart, and a
 * pause to read or to look elsewhere is covered; past that the process's memory (the index: tens of
 * MB for a large vault) and its copy of the key are given back, and the next query pays the opening
 * again (about a second and a half for a large vault).
 */
export const DEFAULT_SESSION_IDLE_MS = 5 * 60_000;

/** The requests a session answers: quick queries on an opened repository. */
type SessionRequest = Extract<JobRequest, { op: 'snapshots' | 'ls' }>;
const isSessionRequest = (r: JobRequest): r is SessionRequest => r.op === 'snapshots' || r.op === 'ls';

export interface RepositorySessionsOptions {
  processes: SessionProcessStarter;
  /** Runs what sessions do not serve. */
  runner: EngineRunner;
  /** The app's data directory: snapshot totals walked once are kept in <dataDir>/snapshot-totals/. */
  dataDir: string;
  /** How long a session without requests stays open; default DEFAULT_SESSION_IDLE_MS. */
  idleMs?: number;
}

interface Live {
  process: SessionProcess;
  passwordDigest: Buffer;
  gone: boolean;
  idle: NodeJS.Timeout | undefined;
}

interface Slot {
  live: Live | undefined;
  /** The end of the last request queued here: the next waits for it. */
  tail: Promise<unknown>;
  place: RepoPlace;
}

function exactKey(location: RepoLocation): string {
  return location.kind === 'local'
    ? JSON.stringify(['local', location.path])
    : JSON.stringify(['account', location.url, location.token]);
}

function placeOf(location: RepoLocation): RepoPlace {
  return location.kind === 'local'
    ? { kind: 'local', path: location.path }
    : { kind: 'account', url: location.url };
}

function samePlace(a: RepoPlace, b: RepoPlace): boolean {
  return a.kind === 'local'
    ? b.kind === 'local' && path.resolve(a.path) === path.resolve(b.path)
    : b.kind === 'account' && a.url === b.url;
}

function digest(password: string): Buffer {
  return crypto.createHash('sha256').update(password, 'utf8').digest();
}

export class RepositorySessions implements EngineRunner {
  private readonly slots = new Map<string, Slot>();
  private readonly idleMs: number;
  private readonly totalsCacheDir: string;

  constructor(private readonly o: RepositorySessionsOptions) {
    this.idleMs = o.idleMs ?? DEFAULT_SESSION_IDLE_MS;
    this.totalsCacheDir = path.join(o.dataDir, 'snapshot-totals');
  }

  run(request: JobRequest, handlers: EngineRunHandlers, signal: AbortSignal): Promise<JobOutcome> {
    if (!isSessionRequest(request)) return this.o.runner.run(request, handlers, signal);
    const withCache: SessionRequest =
      request.op === 'snapshots' ? { ...request, totalsCacheDir: this.totalsCacheDir } : request;
    const key = exactKey(request.repo);
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { live: undefined, tail: Promise.resolve(), place: placeOf(request.repo) };
      this.slots.set(key, slot);
    }
    const mine = slot.tail.then(() => this.runInSlot(key, slot, withCache, handlers, signal));
    slot.tail = mine.catch(() => undefined);
    return mine;
  }

  /** The number of session processes open now. */
  get openCount(): number {
    return [...this.slots.values()].filter((s) => s.live && !s.live.gone).length;
  }

  /** Ends the sessions of a vault's repository (whatever its token or password); resolves once their processes are gone. */
  async endAt(place: RepoPlace): Promise<void> {
    await Promise.all(
      [...this.slots.entries()]
        .filter(([, s]) => samePlace(s.place, place))
        .map(([key]) => this.endSlot(key)),
    );
  }

  /** Ends every session whose place is not among `places` (a vault removed, or moved). */
  async keepOnly(places: RepoPlace[]): Promise<void> {
    await Promise.all(
      [...this.slots.entries()]
        .filter(([, s]) => !places.some((p) => samePlace(s.place, p)))
        .map(([key]) => this.endSlot(key)),
    );
  }

  /** Ends every session (the app locked, or quits); resolves once no session process is left. */
  async endAll(): Promise<void> {
    await Promise.all([...this.slots.keys()].map((key) => this.endSlot(key)));
  }

  private async runInSlot(
    key: string,
    slot: Slot,
    request: SessionRequest,
    handlers: EngineRunHandlers,
    signal: AbortSignal,
  ): Promise<JobOutcome> {
    if (this.slots.get(key) !== slot) {
      return emptyOutcome(
        'failed',
        'The vault was closed (the app locked or the vault changed); try again.',
        'INTERNAL',
      );
    }
    const wanted = digest(request.password);
    let live = slot.live;
    if (live && (live.gone || !crypto.timingSafeEqual(live.passwordDigest, wanted))) {
      // Another password for this place: the session opened with the old one answers nothing more.
      if (!live.gone) await this.endLive(live);
      live = undefined;
    }
    if (!live) {
      const process = this.o.processes.startSession();
      const started: Live = { process, passwordDigest: wanted, gone: false, idle: undefined };
      process.onGone(() => {
        started.gone = true;
        if (started.idle) clearTimeout(started.idle);
        if (slot.live === started) slot.live = undefined;
      });
      slot.live = started;
      live = started;
    }
    if (live.idle) clearTimeout(live.idle);
    live.idle = undefined;
    const outcome = await live.process.run(request, handlers, signal);
    if (!live.gone && slot.live === live) {
      const ending = live;
      ending.idle = setTimeout(() => {
        if (slot.live === ending) void this.endLive(ending);
      }, this.idleMs);
      ending.idle.unref();
    }
    return outcome;
  }

  private async endSlot(key: string): Promise<void> {
    const slot = this.slots.get(key);
    if (!slot) return;
    this.slots.delete(key);
    if (slot.live) await this.endLive(slot.live);
  }

  private async endLive(live: Live): Promise<void> {
    if (live.idle) clearTimeout(live.idle);
    live.idle = undefined;
    live.gone = true;
    await live.process.end();
  }
}
