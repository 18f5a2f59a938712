/**
 * Shared by the job-process tests: a recorder of what a run reports (progress, log, problem records), and checks that
 * the password never appears in anything the job process sent.
 */
import type { EngineProblem } from '../../src-shared/engine-records';
import type {
  EngineLogEntry,
  EngineRunHandlers,
  JobProgressMessage,
} from '../../src-main/services/backup/engine-runner';

export class RunRecorder implements EngineRunHandlers {
  readonly progress: JobProgressMessage[] = [];
  readonly logs: EngineLogEntry[] = [];
  readonly problems: EngineProblem[] = [];
  private waiters: { test: (p: JobProgressMessage) => boolean; resolve: () => void }[] = [];

  onProgress(p: JobProgressMessage): void {
    this.progress.push(p);
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(p)) return true;
      w.resolve();
      return false;
    });
  }

  onLog(entry: EngineLogEntry): void {
    this.logs.push(entry);
  }

  onProblem(problem: EngineProblem): void {
    this.problems.push(problem);
  }

  /** Resolves at the first progress message (already seen or to come) that passes `test`. */
  progressWhere(test: (p: JobProgressMessage) => boolean): Promise<void> {
    if (this.progress.some(test)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  /** Everything the job process sent, as one string (for "the password is never in it"). */
  everything(extra: unknown = null): string {
    return JSON.stringify({ progress: this.progress, logs: this.logs, problems: this.problems, extra });
  }
}

export const isRoot = process.getuid?.() === 0;
