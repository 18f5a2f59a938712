/**
 * Keeps peak memory bounded. The hot paths drop a few short-lived buffers per chunk (read window, zstd
 * output, ciphertext); V8 only collects them after tens of MiB of such external memory pile up in each
 * thread, which roughly doubled a backup's peak RSS. Every `everyBytes` of work we ask for a collection;
 * with the few MiB of heap these threads hold, it takes about a millisecond.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | null | undefined;

function collector(): (() => void) | null {
  if (gc !== undefined) return gc;
  try {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  } catch {
    gc = null;
  }
  return gc;
}

export class MemoryBudget {
  private since = 0;
  constructor(private readonly everyBytes = 32 * 1024 * 1024) {}

  /** Counts bytes of buffers just dropped; collects when the budget is spent. */
  spent(bytes: number): void {
    this.since += bytes;
    if (this.since < this.everyBytes) return;
    this.since = 0;
    collector()?.();
  }
}
