import { Secret } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { TotpVerifier, newRecoveryCodes } from '../../src-server/services/totp';
import { base32Decode, hotp, totpCode } from '../support/account-server';

// RFC 6238 Appendix B, SHA-1 rows: the seed is the ASCII string "12345678901234567890".
const RFC_SEED = Buffer.from('12345678901234567890', 'ascii');
const RFC_VECTORS: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP', () => {
  it('the test HMAC lines reproduce the RFC 6238 SHA-1 vectors', () => {
    for (const [seconds, code] of RFC_VECTORS) {
      expect(hotp(RFC_SEED, Math.floor(seconds / 30), 8)).toBe(code);
    }
  });

  it('the server accepts the RFC 6238 vectors (6-digit form) at their times and no other step', () => {
    const verifier = new TotpVerifier();
    const secret = new Secret({ buffer: new Uint8Array(RFC_SEED).buffer });
    for (const [seconds, code] of RFC_VECTORS) {
      const six = code.slice(-6);
      expect(verifier.matchStep(secret, six, seconds * 1000)).toBe(Math.floor(seconds / 30));
      expect(verifier.matchStep(secret, six, (seconds + 90) * 1000)).toBeNull();
    }
  });

  it('agrees with the independent implementation on fresh 160-bit secrets', () => {
    const verifier = new TotpVerifier();
    for (let i = 0; i < 20; i++) {
      const secret = verifier.newSecret();
      expect(secret.bytes.length).toBe(20);
      expect(base32Decode(secret.base32)).toEqual(Buffer.from(secret.bytes));
      const at = 1_700_000_000_000 + i * 7_919_000;
      expect(verifier.matchStep(secret, totpCode(secret.base32, at), at)).toBe(Math.floor(at / 30_000));
    }
  });

  it('accepts one step either side of now and refuses two', () => {
    const verifier = new TotpVerifier();
    const secret = verifier.newSecret();
    const now = 1_800_000_015_000;
    const step = Math.floor(now / 30_000);
    expect(verifier.matchStep(secret, totpCode(secret.base32, now - 30_000), now)).toBe(step - 1);
    expect(verifier.matchStep(secret, totpCode(secret.base32, now + 30_000), now)).toBe(step + 1);
    expect(verifier.matchStep(secret, totpCode(secret.base32, now - 60_000), now)).toBeNull();
    expect(verifier.matchStep(secret, totpCode(secret.base32, now + 60_000), now)).toBeNull();
  });

  it('makes ten distinct recovery codes of at least ten characters', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code.replace(/-/g, '').length).toBeGreaterThanOrEqual(10);
  });
});
