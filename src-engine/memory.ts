/**
 * Keeps restore's peak memory bounded. It drops a pack-sized buffer and many decrypted blobs per pack; V8
 * only collects such external memory after tens of MiB have piled up. Every `everyBytes` of work we ask
 * for a collection (a few ms with this heap). The backup workers do not: there it cost ~7% of the CPU
 * of a first backup for ~20 MiB of peak memory, and time is the figure that matters more there.
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
