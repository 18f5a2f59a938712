/**
 * The engine's own native addon (native/, built from source at install like zstd-napi): file-system
 * calls Node lacks. Optional: when it was not built (no compiler, Windows) every caller falls back to
 * what Node offers. STRONGROOM_NATIVE_FS=off leaves it unused (tests of the fallback).
 *
 * Looked for beside the sources first (a checkout built in place: `npm ci` builds native/ itself,
 * linked as the optional dependency `strongroom-native-fs`), then as that package (the CLI's bundle
 * and the app load the engine from elsewhere).
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FsPath } from './fs-names';

export interface NativeFs {
  /** atime and mtime of an open file, to the nanosecond; `sec` may be any 64-bit time. */
  futimens(fd: number, sec: bigint, nsec: number): void;
  /** The same by name, never following a symlink. */
  lutimens(path: FsPath, sec: bigint, nsec: number): void;
}

let loaded: NativeFs | null | undefined;

function load(): NativeFs | null {
  const require = createRequire(import.meta.url);
  for (const id of [
    fileURLToPath(new URL('../../native/index.cjs', import.meta.url)),
    'strongroom-native-fs',
  ]) {
    try {
      const mod = require(id) as Partial<NativeFs> | undefined;
      if (typeof mod?.futimens === 'function' && typeof mod.lutimens === 'function') return mod as NativeFs;
    } catch {
      // Not there (not built, or not installed): the next place, then none.
    }
  }
  return null;
}

/** The addon, or undefined when it is not built here or turned off. */
export function nativeFs(): NativeFs | undefined {
  if (process.env.STRONGROOM_NATIVE_FS === 'off') return undefined;
  loaded ??= load();
  return loaded ?? undefined;
}

/** A time in nanoseconds since the epoch (a decimal string) as whole seconds and nanoseconds, floored. */
export function splitNs(ns: string): { sec: bigint; nsec: number } {
  const v = BigInt(ns);
  let sec = v / 1_000_000_000n;
  let nsec = v % 1_000_000_000n;
  if (nsec < 0n) {
    sec -= 1n;
    nsec += 1_000_000_000n;
  }
  return { sec, nsec: Number(nsec) };
}
