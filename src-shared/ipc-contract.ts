/**
 * The desktop app's IPC contract: every channel between renderer and main, with a zod schema for
 * its input and the type of its output. The preload exposes exactly these methods as `window.api`
 * (type `DesktopApi`, derived below), the harness bridges the same methods over a WebSocket, and
 * src-main/ipc/register.ts validates every call against these schemas.
 *
 * Every call answers a `Result`: errors cross the boundary as data (Electron's IPC keeps only an
 * error's message), so the renderer can show "try again in 42 s" from `retryAfterSeconds`.
 * Secrets (session and device tokens, the TOTP secret at rest) never cross; the one exception is
 * TOTP enrolment, which must show the person the QR image and the manual key once.
 */
import { z } from 'zod';
import { recoveryCode, totpCode } from './http-api';

/** 'session-expired': the account server ended the session while the app was open (added later). */
export const LOCK_REASONS = ['close', 'manual', 'idle', 'suspend', 'screen-lock', 'session-expired'] as const;
export type LockReason = (typeof LOCK_REASONS)[number];
export const AUTO_LOCK_MINUTES = [1, 5, 15, 30, 60] as const;
export type AutoLockMinutes = (typeof AUTO_LOCK_MINUTES)[number];

export type IpcErrorCode =
  | 'locked'
  | 'bad_request'
  | 'invalid_credentials'
  | 'totp_required'
  | 'throttled'
  | 'unreachable'
  | 'session_expired'
  | 'wrong_code'
  | 'enrolment_expired'
  | 'no_pending_enrolment'
  | 'totp_already_enabled'
  | 'totp_not_enabled'
  | 'totp_enrollment_required'
  | 'internal';

export interface IpcError {
  code: IpcErrorCode;
  /** Words a person can act on; never contains a secret. */
  message: string;
  retryAfterSeconds?: number;
}
export type Result<T> = { ok: true; value: T } | { ok: false; error: IpcError };

export interface LockStatus {
  locked: boolean;
  reason: LockReason | null;
  lockedAt: string | null;
  /** The remembered account server, or the embedded local one. */
  serverUrl: string;
  serverIsLocal: boolean;
  /** Remembered for the unlock screen; null before the first unlock. */
  lastUsername: string | null;
}

export interface AccountView {
  username: string;
  serverUrl: string;
  totpEnabled: boolean;
  mustEnrollTotp: boolean;
  recoveryCodesRemaining: number;
}

export interface TotpEnrolmentView {
  qrPngDataUrl: string;
  secretBase32: string;
  expiresAt: string;
}

export interface AppSettings {
  autoLockMinutes: AutoLockMinutes;
  lockOnSuspend: boolean;
}

/**
 * Where this installation keeps the device token (what lets backups run while the app is locked):
 * the OS keychain (keytar), Electron's safeStorage (a file encrypted with the OS's key, where keytar
 * did not build), or memory only (the browser harness without keytar: it does not outlive the process).
 */
export type SecretStoreKind = 'keychain' | 'safe-storage' | 'memory';

/** The settings as the app shows them: what can be changed, and what the installation decides. */
export interface SettingsView extends AppSettings {
  secretStore: SecretStoreKind;
}

const serverUrl = z
  .string()
  .trim()
  .url('The server address must be a URL such as https://backup.example.com')
  .refine((u) => /^https?:\/\//.test(u), 'The server address must start with http:// or https://');

/** Channel name -> input schema and output type. Output types are phantom (`null as unknown as T`). */
export const channels = {
  'lock:status': { input: z.undefined(), output: null as unknown as LockStatus, whileLocked: true },
  'auth:unlock': {
    input: z
      .object({
        /** Omitted: the remembered server (the embedded local one by default). */
        serverUrl: serverUrl.optional(),
        username: z.string().trim().min(1, 'Enter your username.').max(64),
        password: z.string().min(1, 'Enter your password.').max(1024),
        totp: totpCode.optional(),
        recoveryCode: recoveryCode.optional(),
      })
      .strict(),
    output: null as unknown as AccountView,
    whileLocked: true,
  },
  /** Locks the app (reason "manual") and closes it at once: Account tab -> Lock… */
  'lock:lockAndClose': { input: z.undefined(), output: null as unknown as null, whileLocked: false },
  'account:get': { input: z.undefined(), output: null as unknown as AccountView, whileLocked: false },
  'totp:begin': { input: z.undefined(), output: null as unknown as TotpEnrolmentView, whileLocked: false },
  'totp:confirm': {
    input: z.object({ code: totpCode }).strict(),
    output: null as unknown as { recoveryCodes: string[] },
    whileLocked: false,
  },
  'totp:disable': {
    input: z
      .object({
        password: z.string().min(1).max(1024),
        code: totpCode.optional(),
        recoveryCode: recoveryCode.optional(),
      })
      .strict(),
    output: null as unknown as null,
    whileLocked: false,
  },
  'totp:regenerateRecoveryCodes': {
    input: z.object({ code: totpCode }).strict(),
    output: null as unknown as { recoveryCodes: string[] },
    whileLocked: false,
  },
  'settings:get': { input: z.undefined(), output: null as unknown as SettingsView, whileLocked: false },
  'settings:set': {
    input: z
      .object({
        autoLockMinutes: z
          .number()
          .refine((n): n is AutoLockMinutes => (AUTO_LOCK_MINUTES as readonly number[]).includes(n))
          .optional(),
        lockOnSuspend: z.boolean().optional(),
      })
      .strict(),
    output: null as unknown as SettingsView,
    whileLocked: false,
  },
  /** The renderer reports user input (throttled to once per few seconds) for the idle lock; only while unlocked, like everything but lock:status and auth:unlock. */
  'activity:ping': { input: z.undefined(), output: null as unknown as null, whileLocked: false },
} as const;

export type Channel = keyof typeof channels;
export type ChannelInput<C extends Channel> = z.input<(typeof channels)[C]['input']>;
export type ChannelOutput<C extends Channel> = (typeof channels)[C]['output'];

/** Events main sends to the renderer. */
export const events = {
  /** The app was locked (idle, suspend, screen lock, session ended on the server); the renderer
   * is about to be reloaded. */
  onLocked: 'event:locked',
} as const;
export type EventName = keyof typeof events;
export interface EventPayloads {
  onLocked: { reason: LockReason };
}

/** Method name on window.api for each channel: 'auth:unlock' -> 'authUnlock'. */
type Camel<S extends string> = S extends `${infer A}:${infer B}` ? `${A}${Capitalize<B>}` : S;
export type MethodName<C extends Channel> = Camel<C>;
export function methodName<C extends Channel>(channel: C): MethodName<C> {
  const [a, b] = channel.split(':') as [string, string];
  return `${a}${b.charAt(0).toUpperCase()}${b.slice(1)}` as MethodName<C>;
}

/** The renderer's `window.api`, computed from the contract so it cannot drift. */
export type DesktopApi = {
  [C in Channel as MethodName<C>]: ChannelInput<C> extends undefined
    ? () => Promise<Result<ChannelOutput<C>>>
    : (input: ChannelInput<C>) => Promise<Result<ChannelOutput<C>>>;
} & {
  [E in EventName]: (listener: (payload: EventPayloads[E]) => void) => () => void;
};
