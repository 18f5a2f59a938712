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

/**
 * Keeps a heap near its live size on a machine with plenty of memory, where V8 would otherwise let
 * garbage pile up to hundreds of MiB before collecting (an unchanged backup of 50,000 small files peaked
 * at 370 MiB; under a 64 MiB heap cap it ran in 150 MiB and with less CPU). `check` is cheap: call it
 * often; it collects when the heap has grown `slackBytes` past what the last collection left.
 */
export class HeapBudget {
  private floor = v8.getHeapStatistics().used_heap_size;
  private calls = 0;
  constructor(private readonly slackBytes = 48 * 1024 * 1024) {}

  check(): void {
    if (++this.calls % 256 !== 0) return;
    const used = v8.getHeapStatistics().used_heap_size;
    if (used < this.floor + this.slackBytes) return;
    const gc = collector();
    if (!gc) return;
    gc();
    this.floor = v8.getHeapStatistics().used_heap_size;
  }
}
