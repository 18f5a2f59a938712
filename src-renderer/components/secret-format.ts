/** Pure helpers for showing secrets to a person; no DOM, so they are unit-tested in Node. */

/** "JBSWY3DPEHPK3PXP" -> "JBSW Y3DP EHPK 3PXP": groups of four are easier to type and to check. */
export function groupKey(secretBase32: string, size = 4): string {
  const clean = secretBase32.replace(/[\s=]+/g, '').toUpperCase();
  const groups: string[] = [];
  for (let i = 0; i < clean.length; i += size) groups.push(clean.slice(i, i + size));
  return groups.join(' ');
}

/** Only digits, at most six: what a TOTP field keeps of what was typed or pasted ("123 456" too). */
export function sanitizeTotpCode(raw: string): string {
  return raw.replace(/\D+/g, '').slice(0, 6);
}

/** The text of the recovery codes file a person downloads. */
export function recoveryCodesFileText(
  codes: readonly string[],
  account: string | undefined,
  now: Date,
): string {
  const lines = [
    `Strongroom recovery codes${account ? ` for ${account}` : ''}`,
    `Created ${now.toISOString()}`,
    '',
    'Each code signs you in once, in place of a two-factor code, if you lose your authenticator app.',
    'Keep this file somewhere safe and private. Making new codes makes these stop working.',
    '',
    ...codes,
    '',
  ];
  return lines.join('\n');
}

/** A file name that is safe on every OS: strongroom-recovery-codes-alice.txt */
export function recoveryCodesFileName(account: string | undefined): string {
  const safe = (account ?? '').replace(/[^a-z0-9_-]+/gi, '-').replace(/^-+|-+$/g, '');
  return safe ? `strongroom-recovery-codes-${safe}.txt` : 'strongroom-recovery-codes.txt';
}
