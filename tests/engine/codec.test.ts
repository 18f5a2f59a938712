import { beforeAll, describe, expect, it } from 'vitest';
import {
  CODEC_NONE,
  CODEC_ZSTD,
  decode,
  initCodec,
  maybeCompress,
  sampleEntropy,
} from '../../src-engine/codec';
import { prng } from './helpers';

beforeAll(async () => {
  await initCodec();
});

describe('compression where it pays', () => {
  it('compresses text and decodes it back', () => {
    const text = Buffer.from('export function add(a: number, b: number) { return a + b; }\n'.repeat(20000));
    const r = maybeCompress(text);
    expect(r.codec).toBe(CODEC_ZSTD);
    expect(r.bytes.length).toBeLessThan(text.length / 10);
    expect(decode(r.codec, r.bytes, text.length).equals(text)).toBe(true);
  });

  it('stores random (already compressed or encrypted) data as is', () => {
    const random = prng('entropy', 1 << 20);
    expect(sampleEntropy(random)).toBeGreaterThan(7.9);
    const r = maybeCompress(random);
    expect(r.codec).toBe(CODEC_NONE);
    expect(Buffer.from(r.bytes).equals(random)).toBe(true);
    // Small blobs take the trial compression, which also refuses to store them larger.
    expect(maybeCompress(prng('small', 4000)).codec).toBe(CODEC_NONE);
  });

  it('refuses a decoded length that differs from the recorded one', () => {
    const text = Buffer.from('abc'.repeat(1000));
    const r = maybeCompress(text);
    expect(() => decode(r.codec, r.bytes, text.length + 1)).toThrow(/recorded/);
  });
});
