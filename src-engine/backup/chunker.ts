/**
 * FastCDC content-defined chunking (Xia et al. 2016/2020) with normalized chunking: below the average size
 * a harder mask (more bits) makes a cut unlikely, above it an easier one makes it likely, which narrows the
 * size distribution. The gear table comes from the repository's key, so boundaries reveal nothing to
 * someone holding a known file. The finder is streaming: cut points depend only on the bytes, never on
 * how they were split into buffers (tested with fast-check).
 */
import crypto from 'node:crypto';
import { validateChunkerParams, type ChunkerParams } from '../repository/chunker-params';

/** 256 pseudo-random 32-bit gear values: AES-256-CTR keystream under the gear subkey. */
export function gearTable(gearKey: Buffer): Int32Array {
  const cipher = crypto.createCipheriv('aes-256-ctr', gearKey, Buffer.alloc(16));
  const stream = cipher.update(Buffer.alloc(256 * 4));
  const table = new Int32Array(256);
  for (let i = 0; i < 256; i++) table[i] = stream.readInt32LE(i * 4);
  return table;
}

/** A mask with `bits` one-bits spread over the high half of the word, where the gear hash mixes most. */
function spreadMask(bits: number): number {
  let mask = 0;
  // Positions 31, 29, 27, ... then fill the remaining even positions downwards.
  const order: number[] = [];
  for (let p = 31; p >= 0; p -= 2) order.push(p);
  for (let p = 30; p >= 0; p -= 2) order.push(p);
  for (let i = 0; i < bits; i++) mask |= 1 << order[i]!;
  return mask | 0;
}

export class ChunkBoundaryFinder {
  private readonly gear: Int32Array;
  private readonly maskS: number;
  private readonly maskL: number;
  private readonly min: number;
  private readonly avg: number;
  private readonly max: number;
  /** Bytes of the current (unfinished) chunk seen so far. */
  private pos = 0;
  private hash = 0;

  constructor(gear: Int32Array, params: ChunkerParams) {
    validateChunkerParams(params);
    this.gear = gear;
    this.min = params.min;
    this.avg = params.avg;
    this.max = params.max;
    const bits = Math.log2(params.avg);
    // Normalization level 2, as in the FastCDC paper.
    this.maskS = spreadMask(Math.min(31, bits + 2));
    this.maskL = spreadMask(Math.max(1, bits - 2));
  }

  /**
   * Feeds bytes; returns the cut positions inside `data` (exclusive end offsets of finished chunks).
   * The bytes after the last cut belong to the chunk still open.
   */
  update(data: Uint8Array): number[] {
    const cuts: number[] = [];
    const gear = this.gear;
    const len = data.length;
    let i = 0;
    let pos = this.pos;
    let h = this.hash;
    while (i < len) {
      if (pos < this.min) {
        // FastCDC skips hashing below the minimum size: the hash starts fresh at `min`.
        const skip = Math.min(this.min - pos, len - i);
        i += skip;
        pos += skip;
        h = 0;
        continue;
      }
      let cut = -1;
      // Hard mask up to the average size.
      if (pos < this.avg) {
        const maskS = this.maskS;
        const end = Math.min(len, i + (this.avg - pos));
        let j = i;
        for (; j < end; j++) {
          h = ((h << 1) + gear[data[j]!]!) | 0;
          if ((h & maskS) === 0) {
            cut = j + 1;
            break;
          }
        }
        if (cut < 0) {
          pos += end - i;
          i = end;
          continue;
        }
      } else {
        const maskL = this.maskL;
        const end = Math.min(len, i + (this.max - pos));
        let j = i;
        for (; j < end; j++) {
          h = ((h << 1) + gear[data[j]!]!) | 0;
          if ((h & maskL) === 0) {
            cut = j + 1;
            break;
          }
        }
        if (cut < 0) {
          pos += end - i;
          i = end;
          if (pos >= this.max) {
            cuts.push(i);
            pos = 0;
            h = 0;
          }
          continue;
        }
      }
      cuts.push(cut);
      i = cut;
      pos = 0;
      h = 0;
    }
    this.pos = pos;
    this.hash = h;
    return cuts;
  }

  /** Bytes in the open chunk (the final chunk when the stream ends). */
  get pending(): number {
    return this.pos;
  }

  reset(): void {
    this.pos = 0;
    this.hash = 0;
  }
}

/** All chunk lengths of a whole buffer, for tests and small inputs. */
export function chunkLengths(gear: Int32Array, params: ChunkerParams, data: Uint8Array): number[] {
  const f = new ChunkBoundaryFinder(gear, params);
  const out: number[] = [];
  let last = 0;
  for (const c of f.update(data)) {
    out.push(c - last);
    last = c;
  }
  if (last < data.length) out.push(data.length - last);
  return out;
}
