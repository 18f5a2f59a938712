/**
 * File names as the file system has them: bytes. Names that are valid UTF-8 (nearly all) travel as
 * strings; any other name travels as a Buffer, is stored in a tree as base64 (`nameBytes`) beside a
 * printable form, and is restored byte for byte. Paths built from such names are Buffers, which every
 * `fs` call accepts.
 */
import path from 'node:path';
import crypto from 'node:crypto';

/** A path or name as `fs` takes it: a string when it is valid UTF-8, else its bytes. */
export type FsPath = string | Buffer;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes as a string when they are valid UTF-8 (so they round-trip), else the bytes themselves. */
export function fromBytes(bytes: Buffer): FsPath {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return bytes;
  }
}

/** A printable form for messages and `ls`: ASCII kept, every other byte of a non-UTF-8 name as \xNN. */
export function displayName(p: FsPath): string {
  if (typeof p === 'string') return p;
  let out = '';
  for (const b of p)
    out +=
      b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}

/** `parent/name`, as a string while both are strings, else as bytes. */
export function joinPath(parent: FsPath, name: FsPath): FsPath {
  if (typeof parent === 'string' && typeof name === 'string') return path.join(parent, name);
  const p = Buffer.from(parent);
  const sep = p.length > 0 && p[p.length - 1] === 0x2f ? [] : [Buffer.from('/')];
  return Buffer.concat([p, ...sep, Buffer.from(name)]);
}

let tmpPrefix: string | undefined;
let tmpCounter = 0;

/**
 * A short name for a file being restored beside its destination: `.sr`, 6 random hex digits drawn once
 * per process, and a counter (at most 16 bytes, so a 255-byte name always fits next to it). Callers
 * create it with O_EXCL (or an equivalent) and draw another if it is taken.
 */
export function restoreTmpName(): string {
  tmpPrefix ??= crypto.randomBytes(3).toString('hex');
  if (tmpCounter >= 36 ** 6) {
    tmpPrefix = crypto.randomBytes(3).toString('hex');
    tmpCounter = 0;
  }
  return `.sr${tmpPrefix}${(tmpCounter++).toString(36)}`;
}

const TMP_NAME = /^\.sr([0-9a-f]{6})[0-9a-z]{1,6}$/;

/**
 * Whether `name` is one of `restoreTmpName`'s, drawn by another process: a restore that was killed
 * left it (this process's own are in use, and never taken for leftovers).
 */
export function isLeftoverTmpName(name: string): boolean {
  const m = TMP_NAME.exec(name);
  return m !== null && m[1] !== tmpPrefix;
}
