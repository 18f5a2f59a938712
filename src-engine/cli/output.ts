/**
 * What every command writes: its result (text, or one JSON object per result with --json), warnings
 * and the progress line on stderr, and the exit codes. Formatting of a command's own result lives with
 * the command.
 */
import type { EngineProblem, ProblemKind } from '../../src-shared/engine-records';
import type { RepositoryProblem } from '../repository/repository';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => void };
  env: NodeJS.ProcessEnv;
}

/** The documented exit codes (README, usage text). */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  /**
   * The command finished, but some files were left out or may not be as they were (backup: not read,
   * or changed while read; restore: not written). Metadata problems and notes alone exit 0.
   */
  incomplete: 3,
} as const;

const PROBLEM_LABEL: Record<ProblemKind, string> = {
  'not-stored': 'not backed up',
  changed: 'changed while backed up',
  'not-restored': 'not restored',
  metadata: 'metadata not kept',
  note: 'note',
};

/** A problem record as one line of text: its kind in words, the path, the reason. */
export function problemLine(p: EngineProblem): string {
  return `${PROBLEM_LABEL[p.kind]}: ${p.path}: ${p.reason}`;
}

/** How many problems of each kind. */
export function countKinds(problems: readonly EngineProblem[]): Record<ProblemKind, number> {
  const n: Record<ProblemKind, number> = {
    'not-stored': 0,
    changed: 0,
    'not-restored': 0,
    metadata: 0,
    note: 0,
  };
  for (const p of problems) n[p.kind]++;
  return n;
}

export class Output {
  private readonly showProgress: boolean;

  constructor(
    private readonly io: CliIo,
    readonly json: boolean,
    quiet: boolean,
    noProgress: boolean,
  ) {
    this.showProgress = !json && !quiet && !noProgress && io.stderr.isTTY === true;
  }

  /** The command's result: `text` for people, `obj` for --json. */
  result(text: string, obj: unknown): void {
    this.io.stdout.write(
      this.json ? `${JSON.stringify(obj)}\n` : text.endsWith('\n') || !text ? text : `${text}\n`,
    );
  }

  /** A warning about the files being processed; in --json they are in the result instead. */
  warn(message: string): void {
    if (!this.json) this.io.stderr.write(`warning: ${message}\n`);
  }

  /** A line on stderr that --json does not silence: what was left out must never go unsaid. */
  notice(message: string): void {
    this.endProgress();
    this.io.stderr.write(`${message}\n`);
  }

  /** A backup's or restore's problem with one path, as it happens: always said, in --json too. */
  fileProblem(p: EngineProblem): void {
    this.notice(problemLine(p));
  }

  /** A repository file skipped because it cannot be used: always said, in --json too. */
  problem(p: RepositoryProblem): void {
    this.notice(`warning: ${p.file}: ${p.reason}`);
  }

  private barShown = false;

  progress(line: string): void {
    if (!this.showProgress) return;
    const cols = this.io.stderr.columns ?? 100;
    this.io.stderr.write(`\r${line.slice(0, cols - 1).padEnd(cols - 1)}`);
    this.barShown = true;
  }

  endProgress(): void {
    if (this.barShown) this.io.stderr.write('\n');
    this.barShown = false;
  }
}

export function fmtBytes(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${u[i]}`;
}

export function fmtEta(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '--:--';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h > 0
    ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`
    : `${m}:${String(sec).padStart(2, '0')}`;
}

export const shortId = (id: string): string => id.slice(0, 8);
