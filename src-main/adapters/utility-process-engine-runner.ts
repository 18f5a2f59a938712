/**
 * The EngineRunner over Electron's utilityProcess: the app. Thin: it only adapts a utility process to
 * the handle that job-process-connection.ts drives (the same code as the forked runner). One process
 * per request, and the processes of repository sessions (startSession), which answer many queries. Electron's `utilityProcess.fork` is passed in by the composition root, so this file
 * runs (and is tested) without Electron.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ForkOptions, UtilityProcess } from 'electron';
import type { JobOutcome, JobRequest } from '../../src-shared/job-protocol';
import type { EngineRunHandlers, EngineRunner } from '../services/backup/engine-runner';
import type { SessionProcess, SessionProcessStarter } from '../services/backup/repository-sessions';
import {
  JobProcessSession,
  runOverJobProcess,
  type JobProcessHandle,
  type JobProcessTimeouts,
} from './job-process-connection';

/** What this adapter uses of a utility process. */
export interface UtilityProcessLike {
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  stderr: NodeJS.ReadableStream | null;
}
export type UtilityProcessFork = (
  modulePath: string,
  args: string[],
  options: { serviceName: string; stdio: ['ignore', 'ignore', 'pipe'] },
) => UtilityProcessLike;

// Compile-time proof that Electron's own utilityProcess.fork fits the port this adapter takes.
type Fits<T extends UtilityProcessFork> = T;
export type ElectronUtilityProcessFork = Fits<
  (modulePath: string, args?: string[], options?: ForkOptions) => UtilityProcess
>;

/** The bundled job process sits beside main.js (scripts/build-electron.mjs). */
export const JOB_PROCESS_BUNDLE = 'job-process.mjs';

/**
 * Where the bundled job process is, given main.js's own URL. In a packaged app it is unpacked from the
 * asar archive (electron-builder.yml), because its chunk workers and the native zstd addon are loaded
 * from the real file system.
 */
export function bundledJobProcessPath(mainModuleUrl: string): string {
  const p = path.join(path.dirname(fileURLToPath(mainModuleUrl)), JOB_PROCESS_BUNDLE);
  return p.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}

const STDERR_TAIL = 4096;

export class UtilityProcessEngineRunner implements EngineRunner, SessionProcessStarter {
  constructor(
    private readonly fork: UtilityProcessFork,
    private readonly entry: string,
    private readonly timeouts: JobProcessTimeouts = {},
  ) {}

  run(request: JobRequest, handlers: EngineRunHandlers, signal: AbortSignal): Promise<JobOutcome> {
    return runOverJobProcess(() => this.start('Strongroom job'), request, handlers, signal, this.timeouts);
  }

  startSession(): SessionProcess {
    return new JobProcessSession(() => this.start('Strongroom vault session'), this.timeouts);
  }

  private start(serviceName: string): JobProcessHandle {
    return utilityHandle(this.fork(this.entry, [], { serviceName, stdio: ['ignore', 'ignore', 'pipe'] }));
  }
}

function utilityHandle(child: UtilityProcessLike): JobProcessHandle {
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => {
    stderr = (stderr + s).slice(-STDERR_TAIL);
  });
  return {
    send: (m) => child.postMessage(m),
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => child.on('exit', (code) => listener(`exit code ${code}`)),
    kill: () => void child.kill(),
    lastOutput: () => stderr.trim(),
  };
}
