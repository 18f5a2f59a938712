/** The field schemas several routes share: usernames, passwords, codes, names. */
import { z } from 'zod';

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,63}$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 1024;

/** Usernames are case-insensitive: trimmed and lower-cased before anything else. */
export const username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    USERNAME_PATTERN,
    'Username: 2 to 64 characters, letters, digits, dot, dash or underscore, starting with a letter or digit.',
  );
/**
 * NIST SP 800-63B 5.1.1.2: a new password is normalised with NFKC (so "é" typed as one character
 * or as e + accent, or a full-width letter, is the same password, as the client's key derivation
 * normalises it), then counted in characters (code points, not UTF-16 units), and refused when it
 * is whitespace alone. The server never sees it: clients check a new one with this schema, then
 * derive its auth key (src-shared/account-crypto.ts).
 */
export function normalizePassword(raw: string): string {
  return raw.normalize('NFKC');
}
export function passwordLength(normalized: string): number {
  let n = 0;
  for (const _ of normalized) n++;
  return n;
}
export const password = z
  .string()
  .transform(normalizePassword)
  .pipe(
    z
      .string()
      .refine((p) => passwordLength(p) >= PASSWORD_MIN, `Password: at least ${PASSWORD_MIN} characters.`)
      .refine((p) => passwordLength(p) <= PASSWORD_MAX, `Password: at most ${PASSWORD_MAX} characters.`)
      .refine(
        (p) => /\S/u.test(p),
        'Password: not only spaces; use letters, digits or other characters too.',
      ),
  );
/** A password being checked (not chosen): any non-empty string up to the maximum. */
export const currentPassword = z.string().min(1).max(PASSWORD_MAX);
/** A six-digit TOTP code; spaces a person types between groups are removed. */
export const totpCode = z
  .string()
  .transform((s) => s.replace(/\s+/g, ''))
  .pipe(z.string().regex(/^\d{6}$/, 'The two-factor code is six digits.'));
/** A recovery code: case-insensitive, dashes and spaces ignored. */
export const recoveryCode = z
  .string()
  .transform((s) => s.replace(/[\s-]+/g, '').toLowerCase())
  .pipe(z.string().regex(/^[a-z0-9]{10,32}$/, 'That is not a recovery code.'));
/**
 * The second factor a route asks for again: a current code or a recovery code. The routes whose
 * auth kind is `fresh` with `secondFactor` take these two fields; the gate checks them.
 */
export const secondFactorFields = {
  code: totpCode.optional(),
  recoveryCode: recoveryCode.optional(),
};
/**
 * Characters a name shown to people must not hold: C0 and C1 controls, the line and paragraph
 * separators, and Unicode's bidirectional controls (marks, embeddings, overrides, isolates),
 * which reorder the text around them, so that "laptop\u202Egnp.exe" reads as another name
 * ("Trojan Source", CVE-2021-42574). Global, for replacing; test with `hasUnsafeDisplayChars`.
 */
export const UNSAFE_DISPLAY_CHARS =
  // eslint-disable-next-line no-control-regex -- matching control characters is its purpose
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/gu;
export function hasUnsafeDisplayChars(text: string): boolean {
  return new RegExp(UNSAFE_DISPLAY_CHARS.source, 'u').test(text);
}
/**
 * A device's or storage token's name, which the panel, the app and the audit log show: refused
 * with such characters where it enters, since every later reader would otherwise have to guard.
 */
export const deviceName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .refine(
    (name) => !hasUnsafeDisplayChars(name),
    'Name: no control characters or text-direction marks (they can make it read as another name).',
  );
/** Times in replies: ISO 8601 in UTC, as Date.prototype.toISOString() writes them. */
export const isoTime = z.iso.datetime();
/** An account-storage repository's name (the path segment under /storage/<username>/). */
export const repositoryName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'Repository name: 1 to 64 letters, digits, dot, dash or underscore, starting with a letter or digit.',
  );
