import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

export const TOTP_ISSUER = 'Strongroom';
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted either side of now (clock drift, a code typed as it rolls over). */
export const TOTP_WINDOW = 1;
export const TOTP_SECRET_BYTES = 20; // 160 bits, RFC 4226's recommendation

export const RECOVERY_CODE_COUNT = 10;
// 32 symbols without l/o/0/1, which people misread; 12 of them carry 60 bits.
const RECOVERY_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const RECOVERY_LENGTH = 12;

/** TOTP (RFC 6238) with SHA-1, 6 digits, 30-second steps, via otpauth. */
export class TotpVerifier {
  newSecret(): Secret {
    return new Secret({ size: TOTP_SECRET_BYTES });
  }

  uri(secret: Secret, username: string): string {
    return this.totp(secret, username).toString();
  }

  /** The time step a code belongs to (within ±1 of `nowMs`), or null if it matches none. */
  matchStep(secret: Secret, code: string, nowMs: number): number | null {
    const delta = this.totp(secret, 'x').validate({ token: code, timestamp: nowMs, window: TOTP_WINDOW });
    if (delta === null) return null;
    return Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS) + delta;
  }

  private totp(secret: Secret, username: string): TOTP {
    return new TOTP({
      issuer: TOTP_ISSUER,
      label: username,
      algorithm: 'SHA1',
      digits: TOTP_DIGITS,
      period: TOTP_PERIOD_SECONDS,
      secret,
    });
  }
}

/** Ten fresh recovery codes, formatted `abcd-efgh-jkmn` for reading aloud and copying. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = randomBytes(RECOVERY_LENGTH);
    const chars = Array.from(bytes, (b) => RECOVERY_ALPHABET[b & 31]).join('');
    return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
  });
}

/** The form a recovery code is hashed in: what http-api's recoveryCode schema produces. */
export function normalizeRecoveryCode(code: string): string {
  return code.replace(/[\s-]+/g, '').toLowerCase();
}
