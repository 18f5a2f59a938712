/**
 * File-system metadata Node only half supports: times before 1970 and below the millisecond, and
 * special files (FIFOs, devices) that Node cannot create.
 *
 * Times: with the engine's native addon (fs-native.ts) they are set exactly, to the nanosecond the
 * repository keeps, through futimens and utimensat. Without it, Node's utimes: it takes seconds as a
 * number and replaces a negative number with *now* (the pre-1970 loss); given a decimal string it
 * keeps the sign and passes microseconds on. So times are then set from a string, to the microsecond
 * (the last three digits are what Node cannot set). libuv clamps seconds below -2^31 (before
 * 1901-12-13); those rare times are set with `touch -h -d @S.N`, which keeps nanoseconds.
 */
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { FsPath } from './fs-names';
import { nativeFs, splitNs } from './fs-native';

const INT32_MIN_NS = -2147483648n * 1_000_000_000n;

/**
 * Seconds as utimes takes them, for the microsecond that holds `ns` (truncated toward zero, as libuv
 * converts): half a microsecond further from zero, so the float parse can never fall short of it.
 */
export function utimesArg(ns: string): string {
  const v = BigInt(ns);
  const half = (v / 1000n) * 1000n + (v < 0n ? -500n : 500n);
  const abs = half < 0n ? -half : half;
  return `${half < 0n ? '-' : ''}${abs / 1_000_000_000n}.${(abs % 1_000_000_000n).toString().padStart(9, '0')}`;
}

/** Whether Node's utimes can set this time (else `setTimesByName` falls back to touch). */
export function nodeCanSetTime(ns: string): boolean {
  return BigInt(ns) >= INT32_MIN_NS;
}

/** `touch -h -d @S.N`: for times Node cannot set; needs a string path (touch takes its argv as text). */
export function touchTime(p: FsPath, ns: string): void {
  if (typeof p !== 'string') throw new Error('a time before 1901 on a name that is not UTF-8 cannot be set');
  const v = BigInt(ns);
  const sec = v / 1_000_000_000n - (v % 1_000_000_000n < 0n ? 1n : 0n);
  const frac = v - sec * 1_000_000_000n;
  execFileSync('touch', ['-h', '-m', '-a', '-d', `@${sec}.${frac.toString().padStart(9, '0')}`, '--', p], {
    stdio: 'ignore',
  });
}

/** Sets atime and mtime (both to `mtimeNs`) through a descriptor. */
export function setTimesFd(fd: number, p: FsPath, mtimeNs: string): void {
  const native = nativeFs();
  if (native) {
    const { sec, nsec } = splitNs(mtimeNs);
    native.futimens(fd, sec, nsec);
  } else if (nodeCanSetTime(mtimeNs)) {
    const t = utimesArg(mtimeNs);
    fs.futimesSync(fd, t as unknown as number, t as unknown as number);
  } else touchTime(p, mtimeNs);
}

/** Sets a symlink's own times (never its target's). */
export function setLinkTimes(p: FsPath, mtimeNs: string): void {
  const native = nativeFs();
  if (native) {
    const { sec, nsec } = splitNs(mtimeNs);
    native.lutimens(p, sec, nsec);
  } else if (nodeCanSetTime(mtimeNs)) {
    const t = utimesArg(mtimeNs);
    fs.lutimesSync(p, t as unknown as number, t as unknown as number);
  } else touchTime(p, mtimeNs);
}

export type SpecialType = 'fifo' | 'chardev' | 'blockdev';

/** Linux's dev_t encoding (glibc's gnu_dev_major/minor). */
function majorMinor(rdev: bigint): [bigint, bigint] {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return [major, minor];
}

/**
 * Creates a FIFO or device node at `p` (a fresh name: fails if anything is there), mode 0600 until
 * the caller sets the real one. Node has no mkfifo or mknod, so this runs the system commands;
 * devices need root. `cwd` and a plain relative name keep the command's argv to text.
 */
export function makeSpecial(cwd: string, name: string, type: SpecialType, rdev: string | undefined): void {
  if (type === 'fifo') {
    execFileSync('mkfifo', ['-m', '0600', '--', name], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    return;
  }
  if (rdev === undefined) throw new Error('the device number is missing from the snapshot');
  const [major, minor] = majorMinor(BigInt(rdev));
  execFileSync('mknod', ['-m', '0600', '--', name, type === 'chardev' ? 'c' : 'b', `${major}`, `${minor}`], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}
