/**
 * The ports the main-process services are built on. The composition root (src-main/index.ts, the
 * harness, a test) decides which adapter backs each one; services never import electron.
 */
import type { EventName, EventPayloads, LockReason, PathPurpose } from '../../src-shared/ipc-contract';

/** The OS keychain. Accounts are "<server origin>/<username>" under one service name. */
export interface SecretStore {
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  delete(account: string): Promise<boolean>;
}

/** The keys the settings store holds; values are read back as `unknown` and validated by services. */
export type StoreKey = 'lock' | 'settings' | 'remembered' | 'backup' | 'accountKeys' | 'accountDirectory';

/**
 * Persistent settings. `write` is synchronous on purpose: the lock state must be on disk before the
 * window's close handler returns.
 */
export interface SettingsStore {
  read(key: StoreKey): unknown;
  write(key: StoreKey, value: unknown): void;
}

export interface PersistedLockState {
  locked: boolean;
  lockedAt: string | null;
  reason: LockReason | null;
}

export interface RememberedSignIn {
  /** Null: the embedded local account server. */
  serverUrl: string | null;
  username: string | null;
}

export type TimerHandle = unknown;

/** Time, injectable so idle locking is tested without waiting. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending idle timer must not keep a headless process (tests, harness) alive.
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** The window (or the harness's page) as the services see it. */
export interface AppShell {
  /** The app was locked while its window stays open: tell the renderer, then reload it so no
   * account data stays in its memory. */
  showLocked(reason: LockReason): void;
  /** Close the window (Lock… closes the app at once). */
  close(): void;
}

/**
 * System events: suspend and screen lock lock the app ("lock on suspend"); resume catches up missed
 * backups; on-ac (plugged in again) runs backups that were put off on battery.
 */
export type PowerEventName = 'suspend' | 'lock-screen' | 'resume' | 'on-ac';
export interface PowerEvents {
  on(event: PowerEventName, listener: () => void): () => void;
}

/** Whether the computer runs on battery now (a protected item may skip its runs then). */
export interface PowerSource {
  onBattery(): boolean;
}

/** Events to the renderer (the window, or the harness's page). The caller decides when sending is allowed. */
export interface RendererEvents {
  send<E extends EventName>(name: E, payload: EventPayloads[E]): void;
}

/** The system's notifications (Electron's Notification). */
export interface Notifier {
  notify(notification: { title: string; body: string }): void;
}

/** What the tray icon's menu shows and does. */
export interface TrayMenu {
  /** "Last backup: today 02:00, Success" or "Backing up… 42 %". */
  status: string;
  onOpen: () => void;
  /** Lock the app where it is (nothing happens when it is locked already). */
  onLockNow: () => void;
  onQuit: () => void;
}

/** The tray icon: shown while any schedule exists, so Strongroom keeps running with no window. */
export interface TrayIcon {
  show(menu: TrayMenu): void;
  hide(): void;
}

/** "Start Strongroom when I sign in to this computer": the OS's login items. */
export interface LoginItem {
  isEnabled(): boolean;
  /** Started at login: hidden (in the tray), locked, with the scheduler running. */
  setEnabled(enabled: boolean): void;
}

/** Native dialogs. Where there are none (the harness), `supported` is false. */
export interface Dialogs {
  choosePath(options: {
    purpose: PathPurpose;
    title: string;
    defaultPath?: string;
  }): Promise<{ supported: boolean; paths: string[] }>;
  /** "A backup is running. Quit Strongroom anyway?" true: quit. */
  confirmQuit(message: string): Promise<boolean>;
  /** Shows a file in the system's file manager; false where there is none. */
  showInFolder(path: string): Promise<boolean>;
}

/** The account server run in-process when no server was chosen. */
export interface LocalAccountServer {
  /** Starts it if needed; resolves to its base URL (http://127.0.0.1:PORT). */
  ensureStarted(): Promise<string>;
  /** The URL when running, else null. */
  url(): string | null;
  stop(): Promise<void>;
}

/**
 * The account's keys while unlocked (docs/security-model.md, "Your account is your key"): held in
 * main's memory from an unlock that could unwrap the account master key until the next lock.
 */
export interface UnlockedAccountKeys {
  /** The account server's origin. */
  serverUrl: string;
  username: string;
  /** The account's id in every associated data of its sealed rows. */
  accountUid: string;
  /** This installation's id (the session, device and profile are tied to it). */
  computerId: string;
  /** The AMK's key id, 32 hex characters (unformatted). */
  keyId: string;
  /** The AMK. Never leaves main except as vault slot key material to the job process; zeroed at lock. */
  amk: Uint8Array;
  /** The session of that unlock (a full sign-in), for the directory and profile routes. */
  sessionToken: string;
  /** The server is this computer's embedded one: what it owns follows it to any port. */
  serverIsLocal: boolean;
}

/** Who holds the account's keys; services that seal or open directory rows and profiles read them here. */
export interface AccountKeyHolder {
  /** The account's keys while unlocked; null while locked or when the AMK could not be had. */
  current(): UnlockedAccountKeys | null;
  /** Called after every unlock that made the AMK available, and on lock (with null). */
  onChange(listener: (keys: UnlockedAccountKeys | null) => void): () => void;
  /**
   * Called when a credential change of this unlock (new kit, password change, device wrap) moved the
   * account's generation: the wrap rows copied elsewhere (drive envelopes) are then out of date.
   */
  onGenerationChange?(listener: (generation: number) => void): () => void;
}

/**
 * Whether the account's vault directory holds vaults this computer does not have, so that the
 * unlock offers "This account has backups from N computers". Answered by the vault directory
 * service; without one (or when it cannot tell) the offer is not made.
 */
export interface RestoreOffer {
  hasVaultsElsewhere(keys: UnlockedAccountKeys): Promise<boolean>;
}
