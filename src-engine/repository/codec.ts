/**
 * zstd compression, from the fastest backend this machine has: Node's own zlib zstd (Node >= 22.15),
 * else the native `zstd-napi` addon (an optional dependency, built from source at install; absent if that
 * build failed), else the @bokuweb/zstd-wasm build, which installs from the registry alone. All three
 * write and read standard zstd frames, so a repository written with one is read by any other: the pack
 * header records only "zstd" or "none". STRONGROOM_ZSTD=zlib|napi|wasm forces one (tests, benchmarks).
 */
import zlib from 'node:zlib';

export const CODEC_NONE = 0;
export const CODEC_ZSTD = 1;
export type CodecId = typeof CODEC_NONE | typeof CODEC_ZSTD;

export type ZstdBackendName = 'zlib' | 'napi' | 'wasm';
export const ZSTD_BACKENDS: readonly ZstdBackendName[] = ['zlib', 'napi', 'wasm'];

export interface ZstdBackend {
  name: ZstdBackendName;
  compress(data: Uint8Array, level: number): Buffer;
  decompress(data: Uint8Array): Buffer;
}

type NativeZstd = {
  zstdCompressSync(data: Uint8Array, opts: object): Buffer;
  zstdDecompressSync(data: Uint8Array, opts?: object): Buffer;
  constants: Record<string, number>;
};

type NapiZstd = {
  compress(data: Uint8Array, params?: { compressionLevel?: number }): Buffer;
  decompress(data: Uint8Array): Buffer;
};

let zstd: ZstdBackend | undefined;
let loading: Promise<ZstdBackend> | undefined;

/** One backend by name, or undefined when this machine does not have it. */
export async function loadZstdBackend(name: ZstdBackendName): Promise<ZstdBackend | undefined> {
  if (name === 'zlib') {
    const native = zlib as unknown as Partial<NativeZstd>;
    if (typeof native.zstdCompressSync !== 'function' || typeof native.zstdDecompressSync !== 'function')
      return undefined;
    const n = native as NativeZstd;
    const levelParam = n.constants.ZSTD_c_compressionLevel ?? 100;
    return {
      name,
      compress: (data, level) => n.zstdCompressSync(data, { params: { [levelParam]: level } }),
      decompress: (data) => n.zstdDecompressSync(data),
    };
  }
  if (name === 'napi') {
    let napi: NapiZstd;
    try {
      // An optional dependency: missing, or present with a failed native build, both mean "not here".
      const mod = (await import('zstd-napi')) as unknown as NapiZstd & { default?: NapiZstd };
      napi = typeof mod.compress === 'function' ? mod : mod.default!;
      if (typeof napi?.compress !== 'function') return undefined;
    } catch {
      return undefined;
    }
    // The module's compress/decompress reuse one native context per thread: no per-call allocation.
    return {
      name,
      compress: (data, level) => napi.compress(data, { compressionLevel: level }),
      decompress: (data) => napi.decompress(data),
    };
  }
  const wasm = await import('@bokuweb/zstd-wasm');
  await wasm.init();
  return {
    name,
    compress: (data, level) => {
      const out = wasm.compress(data, level);
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    },
    decompress: (data) => {
      const out = wasm.decompress(data);
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    },
  };
}

async function loadZstd(): Promise<ZstdBackend> {
  const forced = process.env.STRONGROOM_ZSTD;
  if (forced) {
    if (!(ZSTD_BACKENDS as readonly string[]).includes(forced))
      throw new Error(`STRONGROOM_ZSTD must be one of ${ZSTD_BACKENDS.join(', ')}, not ${forced}`);
    const b = await loadZstdBackend(forced as ZstdBackendName);
    if (!b) throw new Error(`STRONGROOM_ZSTD=${forced}: that zstd backend is not available here`);
    return b;
  }
  for (const name of ZSTD_BACKENDS) {
    const b = await loadZstdBackend(name);
    if (b) return b;
  }
  throw new Error('no zstd backend could be loaded');
}

/** Which backend this thread uses (after initCodec). */
export function zstdBackendName(): ZstdBackendName | undefined {
  return zstd?.name;
}

/** Must be awaited once per thread before compress/decompress (the wasm build initialises asynchronously). */
export async function initCodec(): Promise<void> {
  if (zstd) return;
  loading ??= loadZstd();
  zstd = await loading;
}

function ready(): ZstdBackend {
  if (!zstd) throw new Error('initCodec() was not awaited');
  return zstd;
}

export const DEFAULT_LEVEL = 3;

/**
 * Shannon entropy (bits per byte) of four 4 KiB samples spread over the data. Encrypted, compressed and
 * media data sit at ~7.99; text and most binaries far lower. About 30 µs, against ~0.4 ms for a trial
 * compression of 64 KiB, and it runs for every chunk.
 */
export function sampleEntropy(data: Uint8Array): number {
  const counts = new Uint32Array(256);
  const SAMPLE = 4096;
  let n = 0;
  for (let k = 0; k < 4; k++) {
    const start = Math.floor(((data.length - SAMPLE) * k) / 3);
    const end = Math.min(data.length, start + SAMPLE);
    for (let i = Math.max(0, start); i < end; i++) counts[data[i]!]!++;
    n += end - Math.max(0, start);
  }
  let h = 0;
  for (let i = 0; i < 256; i++) {
    const c = counts[i]!;
    if (c) {
      const p = c / n;
      h -= p * Math.log2(p);
    }
  }
  return h;
}

/**
 * Compresses where it pays: a large blob whose sampled bytes look random (entropy above 7.9 bits per
 * byte, i.e. already compressed or encrypted) is stored as is without a trial, and any blob whose zstd
 * form is not at least 1/32 smaller is stored as is.
 */
export function maybeCompress(
  data: Uint8Array,
  level = DEFAULT_LEVEL,
): { codec: CodecId; bytes: Uint8Array } {
  if (data.length < 64) return { codec: CODEC_NONE, bytes: data };
  const z = ready();
  if (data.length > 64 * 1024 && sampleEntropy(data) > 7.9) return { codec: CODEC_NONE, bytes: data };
  const out = z.compress(data, level);
  if (out.length >= data.length - (data.length >> 5)) return { codec: CODEC_NONE, bytes: data };
  return { codec: CODEC_ZSTD, bytes: out };
}

export function decode(codec: number, bytes: Uint8Array, expectedLength?: number): Buffer {
  let out: Buffer;
  if (codec === CODEC_NONE) out = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  else if (codec === CODEC_ZSTD) out = ready().decompress(bytes);
  else throw new Error(`unknown codec ${codec}`);
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new Error(`decoded length ${out.length} is not the recorded ${expectedLength}`);
  }
  return out;
}
