/**
 * What a key file must be for every client of its repository to get past it, beyond the shared
 * schema (src-shared/repository-key-files.ts). restic 0.14 tries the key files in turn and stops
 * with a fatal error, or a panic, at the first one it cannot read instead of skipping it: an
 * engine's key file, a `created` that is not an RFC 3339 time, a salt that is not 64 bytes, `data`
 * shorter than its nonce and MAC, `N` written as 1024.0, base64 without its padding. Each was tried
 * against restic 0.14 with a key file named to sort before the owner's.
 */
import type { KeyFile, ResticKeyFile } from '../../src-shared/repository-key-files';

/** restic's and the engine's key files cannot share a repository: restic stops at the engine's. */
export type KeyFamily = 'restic' | 'engine';

export function keyFamily(key: KeyFile): KeyFamily {
  return key.kind === 'restic' ? 'restic' : 'engine';
}

/** Null when restic reads the file (and, lacking the password, goes on to the next), else why not. */
export function resticKeyProblem(text: string, file: ResticKeyFile): string | null {
  if (!isGoTime(file.created)) return 'created is not an RFC 3339 time';
  for (const field of ['N', 'r', 'p']) {
    // Go will not put 1024.0 or 1e3 into an int.
    const literal = new RegExp(`"${field}"\\s*:\\s*([^,}\\s]+)`).exec(text)?.[1];
    if (literal === undefined || !/^\d+$/.test(literal)) return `${field} is not written as a whole number`;
  }
  for (const [field, value] of [
    ['salt', file.salt],
    ['data', file.data],
  ] as const) {
    if (value.length % 4 !== 0) return `${field} is not padded base64`;
  }
  if (Buffer.from(file.salt, 'base64').length !== 64) return 'salt is not 64 bytes';
  // restic's sealed master key: a 16-byte nonce, the ciphertext, a 16-byte MAC.
  if (Buffer.from(file.data, 'base64').length < 32) return 'data is shorter than a nonce and a MAC';
  return null;
}

const GO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;

/** Go's time.Time JSON form (RFC 3339), with its range checks: no 30 February, no hour 24. */
function isGoTime(text: string): boolean {
  const m = GO_TIME.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const zoneOk = m[8] === 'Z' || (Number(m[9]) < 24 && Number(m[10]) < 60);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour < 24 &&
    minute < 60 &&
    second < 60 &&
    zoneOk
  );
}
