import { beforeAll, describe, expect, it } from 'vitest';
import {
  CODEC_NONE,
  CODEC_ZSTD,
  decode,
  initCodec,
  maybeCompress,
  sampleEntropy,
  loadZstdBackend,
  zstdBackendName,
  ZSTD_BACKENDS,
  type ZstdBackend,
} from '../../src-engine/repository/codec';
import fs from 'node:fs';
import path from 'node:path';
import { newRepo, PASSWORD, prng, runCli, tempDir, writeFile } from './helpers';

beforeAll(async () => {
  await initCodec();
});

// zstd-napi is an optional dependency (a native build) and zlib's zstd needs Node 22.15+: the
// cross-backend tests need two backends, and say why they are skipped where there are fewer.
const availableBackends = (
  await Promise.all(ZSTD_BACKENDS.map(async (name) => ((await loadZstdBackend(name)) ? name : undefined)))
).filter((name): name is (typeof ZSTD_BACKENDS)[number] => name !== undefined);
const crossProblem =
  availableBackends.length >= 2
    ? null
    : `only the ${availableBackends.join(', ')} zstd backend is here (zstd-napi did not build, and Node ${process.version} has no zlib zstd)`;
if (crossProblem) console.warn(`[skipped] cross-backend zstd tests: ${crossProblem}`);

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

describe('zstd backends', () => {
  const text = Buffer.from(
    Array.from({ length: 5000 }, (_, i) => `line ${i}: const value${i % 97} = compute(${i});\n`).join(''),
  );

  it('picks the fastest available backend, and on Node without zlib zstd uses zstd-napi when it built', async () => {
    const available = (
      await Promise.all(ZSTD_BACKENDS.map(async (n) => ((await loadZstdBackend(n)) ? n : undefined)))
    ).filter(Boolean);
    expect(available).toContain('wasm');
    expect(zstdBackendName()).toBe(available[0]);
  });

  it.skipIf(crossProblem !== null)(
    'reads with every backend what any backend wrote (plain zstd frames)',
    async () => {
      const backends = (await Promise.all(ZSTD_BACKENDS.map((n) => loadZstdBackend(n)))).filter(
        (b): b is ZstdBackend => b !== undefined,
      );
      expect(backends.map((b) => b.name)).toEqual(availableBackends);
      for (const writer of backends) {
        const frame = writer.compress(text, 3);
        expect(frame.length).toBeLessThan(text.length / 4);
        for (const reader of backends) {
          expect(reader.decompress(frame).equals(text), `${writer.name} -> ${reader.name}`).toBe(true);
        }
      }
    },
  );

  it.skipIf(crossProblem !== null)(
    'a repository backed up with one backend restores with another (CLI, STRONGROOM_ZSTD)',
    async () => {
      // The fastest backend here writes; the last one (wasm, which always installs) reads.
      const [writer, reader] = [availableBackends[0]!, availableBackends.at(-1)!];
      const work = await tempDir('codec-cross');
      try {
        const src = path.join(work, 'src');
        writeFile(path.join(src, 'code.txt'), text);
        writeFile(path.join(src, 'bin.dat'), prng('cross', 200_000));
        const repoDir = path.join(work, 'repo');
        await newRepo(repoDir);
        const env = { STRONGROOM_PASSWORD: PASSWORD };
        const b = await runCli(['--repo', repoDir, 'backup', src], { ...env, STRONGROOM_ZSTD: writer });
        expect(b.stderr).toBe('');
        expect(b.code).toBe(0);
        const target = path.join(work, 'out');
        const r = await runCli(['--repo', repoDir, 'restore', 'latest', '--target', target], {
          ...env,
          STRONGROOM_ZSTD: reader,
        });
        expect(r.code).toBe(0);
        const restored = path.join(target, src);
        expect(fs.readFileSync(path.join(restored, 'code.txt')).equals(text)).toBe(true);
        expect(fs.readFileSync(path.join(restored, 'bin.dat')).equals(prng('cross', 200_000))).toBe(true);
        const c = await runCli(['--repo', repoDir, 'check', '--read-data'], {
          ...env,
          STRONGROOM_ZSTD: reader,
        });
        expect(c.code).toBe(0);
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
    },
  );

  it('refuses an unknown forced backend clearly', async () => {
    const work = await tempDir('codec-forced');
    try {
      const repoDir = path.join(work, 'repo');
      await newRepo(repoDir);
      writeFile(path.join(work, 'src/a.txt'), 'a');
      const r = await runCli(['--repo', repoDir, 'backup', path.join(work, 'src')], {
        STRONGROOM_PASSWORD: PASSWORD,
        STRONGROOM_ZSTD: 'lz4',
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/STRONGROOM_ZSTD must be one of zlib, napi, wasm, not lz4/);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
