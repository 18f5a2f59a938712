import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import crypto from 'node:crypto';
import { ChunkBoundaryFinder, chunkLengths, gearTable } from '../../src-engine/backup/chunker';
import { DEFAULT_CHUNKER, type ChunkerParams } from '../../src-engine/repository/chunker-params';
import { prng } from './helpers';

const gear = gearTable(crypto.createHash('sha256').update('test gear').digest());
const small: ChunkerParams = { min: 256, avg: 1024, max: 4096 };

function cutsInPieces(data: Buffer, params: ChunkerParams, sizes: number[]): number[] {
  const f = new ChunkBoundaryFinder(gear, params);
  const cuts: number[] = [];
  let off = 0;
  let i = 0;
  while (off < data.length) {
    const n = Math.max(1, sizes[i++ % sizes.length]!);
    const piece = data.subarray(off, Math.min(data.length, off + n));
    for (const c of f.update(piece)) cuts.push(off + c);
    off += piece.length;
  }
  return cuts;
}

describe('FastCDC chunker', () => {
  it('finds the same boundaries however the stream is split into buffers', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 40_000 }),
        fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 20 }),
        (seed, size, sizes) => {
          const data = prng(`split ${seed}`, size);
          const whole = cutsInPieces(data, small, [data.length || 1]);
          expect(cutsInPieces(data, small, sizes)).toEqual(whole);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('keeps every chunk between min and max (the last one may be shorter)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 60_000 }),
        (seed, size) => {
          const data = prng(`sizes ${seed}`, size);
          const lens = chunkLengths(gear, small, data);
          expect(lens.reduce((a, b) => a + b, 0)).toBe(size);
          lens.slice(0, -1).forEach((l) => {
            expect(l).toBeGreaterThanOrEqual(small.min);
            expect(l).toBeLessThanOrEqual(small.max);
          });
          expect(lens[lens.length - 1]!).toBeLessThanOrEqual(small.max);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('cuts low-entropy data at max rather than never', () => {
    const zeros = Buffer.alloc(5 * small.max);
    const lens = chunkLengths(gear, small, zeros);
    expect(lens.every((l) => l <= small.max)).toBe(true);
  });

  it('with the real defaults (512 KiB / 1 MiB / 8 MiB) chunks near 1 MiB and resynchronises after an insertion', () => {
    const data = prng('defaults', 48 * 1024 * 1024);
    const lens = chunkLengths(gear, DEFAULT_CHUNKER, data);
    lens.slice(0, -1).forEach((l) => {
      expect(l).toBeGreaterThanOrEqual(DEFAULT_CHUNKER.min);
      expect(l).toBeLessThanOrEqual(DEFAULT_CHUNKER.max);
    });
    const mean = data.length / lens.length;
    expect(mean).toBeGreaterThan(700 * 1024);
    expect(mean).toBeLessThan(1.6 * 1024 * 1024);
    // Split the original at odd sizes: identical boundaries.
    expect(cutsInPieces(data, DEFAULT_CHUNKER, [1_000_003, 65_537, 4_194_301])).toEqual(
      cutsInPieces(data, DEFAULT_CHUNKER, [data.length]),
    );
    // One byte inserted at the start: all but the first chunk or two end at the same content offsets.
    const shifted = Buffer.concat([Buffer.from([42]), data]);
    const a = new Set(cutsInPieces(data, DEFAULT_CHUNKER, [data.length]));
    const b = cutsInPieces(shifted, DEFAULT_CHUNKER, [shifted.length]).map((c) => c - 1);
    const shared = b.filter((c) => a.has(c)).length;
    expect(shared).toBeGreaterThanOrEqual(a.size - 2);
  });

  it('derives different boundaries from different keys (boundaries do not fingerprint files)', () => {
    const data = prng('keys', 200_000);
    const other = gearTable(crypto.createHash('sha256').update('another key').digest());
    expect(chunkLengths(gear, small, data)).not.toEqual(chunkLengths(other, small, data));
  });

  it('rejects nonsensical parameters', () => {
    expect(() => new ChunkBoundaryFinder(gear, { min: 4096, avg: 1024, max: 8192 })).toThrow();
    expect(() => new ChunkBoundaryFinder(gear, { min: 256, avg: 1000, max: 8192 })).toThrow();
  });
});
