/**
 * What the shared components receive from whoever talks to the server. The panel's HTTP client
 * and the desktop's `window.api` (whose `Result<T>` from src-shared/ipc-contract.ts has exactly
 * this shape) both answer it, so the components never know about fetch or IPC.
 */
export interface Problem {
  /** A machine code such as 'wrong_code', 'throttled', 'enrolment_expired'. */
  code: string;
  /** Words a person can act on. Never contains a secret. */
  message: string;
  /** With 'throttled': how long until the next attempt is allowed. */
  retryAfterSeconds?: number;
}

export type ActionResult<T> = { ok: true; value: T } | { ok: false; error: Problem };

/** What enrolment's first step must answer (a subset of both the HTTP and the IPC answer). */
export interface TotpEnrolmentData {
  /** data:image/png;base64,... of the otpauth:// URI. */
  qrPngDataUrl: string;
  /** Base32 key for typing into an authenticator app by hand. */
  secretBase32: string;
  /** ISO time after which the pending enrolment is void. */
  expiresAt: string;
}

export interface RecoveryCodesData {
  recoveryCodes: string[];
}

/** Turns a thrown value (a bug or a dropped connection) into a Problem instead of a blank screen. */
export function problemFromThrown(err: unknown): Problem {
  const detail = err instanceof Error ? err.message : String(err);
  return {
    code: 'internal',
    message: `Something went wrong (${detail}). Try again.`,
  };
}
