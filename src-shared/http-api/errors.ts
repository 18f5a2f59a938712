/** The error codes of the account server and the one body every non-2xx /api answer has. */
import { z } from 'zod';

export const errorCode = z.enum([
  'bad_request',
  'invalid_credentials',
  'totp_required',
  'throttled',
  'not_signed_in',
  'session_expired',
  'csrf',
  'forbidden_scope',
  'totp_enrollment_required',
  'wrong_code',
  'enrolment_expired',
  'no_pending_enrolment',
  'totp_already_enabled',
  'totp_not_enabled',
  'signup_disabled',
  'username_taken',
  'not_found',
  'payload_too_large',
  /** 421: the Host is not a name this server is configured for (DNS rebinding, or a missing --public-url). */
  'unknown_host',
  /** 401: the account's password was changed, which ended this session or device token. */
  'password_changed',
  /** 403: the route needs a full sign-in (password and second factor) in the last 15 minutes. */
  'reauthentication_required',
  /** 507: the server's own disk is full (not the account's quota); reading still works. */
  'server_out_of_space',
  // The key routes' codes (src-shared/account-keys-api.ts KEY_ERROR_STATUS has their statuses).
  'generation_conflict',
  'version_conflict',
  'keys_exist',
  'password_change_required',
  'use_the_app',
  'legacy_sign_in_closed',
  'ticket_expired',
  'internal',
]);
export type ErrorCode = z.infer<typeof errorCode>;

/** Every non-2xx answer has this body. 429 answers also carry a Retry-After header. */
export const apiError = z.strictObject({
  error: errorCode,
  message: z.string().min(1),
  retryAfterSeconds: z.number().int().min(0).optional(),
});
export type ApiError = z.infer<typeof apiError>;
