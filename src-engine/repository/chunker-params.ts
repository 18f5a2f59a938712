/** The chunker's sizes, part of a repository's config: the defaults and the bounds a repository accepts. */
export interface ChunkerParams {
  min: number;
  avg: number;
  max: number;
}

export const DEFAULT_CHUNKER: ChunkerParams = { min: 512 * 1024, avg: 1024 * 1024, max: 8 * 1024 * 1024 };

export function validateChunkerParams(p: ChunkerParams): void {
  const pow2 = (n: number) => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
  if (!(pow2(p.avg) && Number.isInteger(p.min) && Number.isInteger(p.max))) {
    throw new Error('chunker avg must be a power of two, min and max integers');
  }
  if (!(p.min >= 64 && p.min < p.avg && p.avg < p.max && p.max <= 64 * 1024 * 1024 && p.avg >= 256)) {
    throw new Error(`chunker sizes must satisfy 64 <= min < avg < max <= 64 MiB (got ${JSON.stringify(p)})`);
  }
}
