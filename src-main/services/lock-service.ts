/**
 * The app lock. The app always starts locked, whatever the store says; unlocking signs in to the
 * account server (username, password, TOTP code when the account has it) and keeps the session
 * token in memory only; locking drops it, revokes it on the server when reachable (best effort,
 * never delaying the lock) and writes the lock state synchronously.
 */
import { z } from 'zod';
import {
  LOCK_REASONS,
  type AccountKeyView,
  type AccountView,
  type ChannelInput,
  type LockReason,
  type LockStatus,
} from '../../src-shared/ipc-contract';
import type { AccountSummary, DeviceSignIn } from '../../src-shared/http-api';
import type { AccountClient } from './account-client';
import type { AccountKeyService } from './account/account-key-service';
import { constantTimeEqual } from '../../src-shared/account-crypto';
import { THIS_COMPUTERS_SERVER } from '../../src-shared/backup-config';
import type {
  AppShell,
  Clock,
  LocalAccountServer,
  PersistedLockState,
  PowerEvents,
  SecretStore,
  SettingsStore,
  TimerHandle,
} from './ports';
import { ServiceError, lockedError } from './service-error';
import type { SettingsService } from './settings-service';

/** What main holds while unlocked. Never crosses to the renderer. */
export interface Session {
  serverUrl: string;
  username: string;
  sessionToken: string;
  account: AccountSummary;
  /** False while the sign-in got no device token (held at TOTP enrolment by --require-totp). */
  hasDeviceToken: boolean;
  /** A device token the keychain could not take: revoked when the session ends, never orphaned. */
  unkeptDeviceToken?: string;
  /** Why the keychain did not take this session's device token, in words; absent when it did. */
  deviceTokenProblem?: string;
  /** The embedded local account server (on this computer, not off-site). */
  serverIsLocal: boolean;
  /** Whether an accepted server move may make this session's account the default: not after "Switch account…". */
  mayBeDefault?: boolean;
}

export type UnlockInput = Omit<ChannelInput<'auth:unlock'>, 'totp' | 'recoveryCode' | 'newPassword'> & {
  totp?: string;
  recoveryCode?: string;
  newPassword?: string;
};

export type ForgotPasswordInput = Omit<ChannelInput<'auth:forgotPassword'>, 'totp' | 'recoveryCode'> & {
  totp?: string;
  recoveryCode?: string;
};

export interface Logger {
  warn(message: string): void;
}

export interface LockServiceOptions {
  store: SettingsStore;
  settings: SettingsService;
  client: AccountClient;
  secrets: SecretStore;
  clock: Clock;
  shell: AppShell;
  power?: PowerEvents;
  /** The embedded account server, used when no server was chosen. */
  localServer: LocalAccountServer | null;
  /** A server named on the command line (harness --server): the default instead of the local one. */
  defaultServerUrl?: string;
  /** Shown in the account's device list. */
  deviceName: string;
  log?: Logger;
  /** The account's keys, loaded at every unlock; without it (tests of the lock alone) they stay unavailable. */
  keys?: AccountKeyService;
  /**
   * Whether an unlock with this account may become the unlock screen's default: false when this
   * computer's vaults belong to another account, so that no one who signs in here with an account
   * of their own sets where the owner's password goes next. Absent: always.
   */
  mayRemember?: (account: {
    serverUrl: string;
    username: string;
    accountUid: string;
    serverIsLocal: boolean;
  }) => boolean;
}

export const SECRET_SERVICE_NAME = 'Strongroom';

/** Server answers that mean the session is gone, and the lock reason the unlock screen shows for each. */
const SESSION_ENDED: Partial<Record<string, 'session-expired' | 'password-changed'>> = {
  session_expired: 'session-expired',
  password_changed: 'password-changed',
};

const persistedLockState = z.object({
  locked: z.literal(true),
  lockedAt: z.string().datetime(),
  reason: z.enum(LOCK_REASONS),
});

/**
 * What a person is told when the keychain refused the device token: the error itself (which may name
 * the keyring's internals) goes to the log only.
 */
const KEYCHAIN_REFUSED =
  "This computer's keychain did not accept Strongroom's device key (it may be locked, or missing).";

/**
 * The keychain account of a device token: "<server origin>/<username>"; for an account on the
 * embedded local server "this-computer/<username>" (LockService.deviceTokenName), which its port
 * does not change.
 */
export function deviceTokenAccount(serverUrl: string, username: string): string {
  return `${new URL(serverUrl).origin}/${username}`;
}

export function toAccountView(
  account: AccountSummary,
  serverUrl: string,
  accountKey: AccountKeyView,
  deviceTokenProblem: string | null,
): AccountView {
  return {
    deviceTokenProblem,
    username: account.username,
    serverUrl,
    totpEnabled: account.totpEnabled,
    mustEnrollTotp: account.mustEnrollTotp,
    recoveryCodesRemaining: account.recoveryCodesRemaining,
    accountKey,
  };
}

/** The key view where no account key service is wired (the lock's own tests). */
const NO_KEY_SERVICE: AccountKeyView = {
  state: 'unavailable',
  keyId: null,
  kitPending: false,
  serverIsLocal: false,
  reason: "The account's keys are not loaded here.",
  offerRestore: false,
  serverMoved: null,
};

export class LockService {
  private state: PersistedLockState;
  private session: Session | null = null;
  /**
   * A sign-in with a password the administrator set, kept (locked) for the unlock screen's second
   * call with the new password: its second factor is spent, so that call reuses this session after
   * checking the same password again, instead of asking for another code.
   */
  private temporary: { signIn: DeviceSignIn; serverUrl: string; authKey: string; until: number } | null =
    null;
  /** Bumped by every lock, so an unlock that finishes after a lock cannot unlock. */
  private generation = 0;
  private idleTimer: TimerHandle | null = null;
  private lastActivity: number;
  private readonly disposers: (() => void)[] = [];
  private readonly lockListeners = new Set<(reason: LockReason) => void>();
  private readonly unlockListeners = new Set<() => void>();
  private readonly log: Logger;

  constructor(private readonly o: LockServiceOptions) {
    this.log = o.log ?? { warn: (m) => console.warn(m) };
    this.lastActivity = o.clock.now();
    // Start locked, whatever is stored: missing, corrupt, hand-edited or "unlocked" (a crash).
    // A well-formed locked state keeps its reason and time so the unlock screen can say why.
    const stored = persistedLockState.safeParse(safeRead(o.store));
    this.state = stored.success
      ? stored.data
      : { locked: true, lockedAt: new Date(o.clock.now()).toISOString(), reason: 'close' };
    this.persist();

    this.disposers.push(o.settings.onChange(() => this.armIdleTimer()));
    if (o.power) {
      this.disposers.push(o.power.on('suspend', () => this.lockOnPowerEvent('suspend')));
      this.disposers.push(o.power.on('lock-screen', () => this.lockOnPowerEvent('screen-lock')));
    }
  }

  isLocked(): boolean {
    return this.state.locked;
  }

  lockState(): PersistedLockState {
    return { ...this.state };
  }

  async status(): Promise<LockStatus> {
    const remembered = this.o.settings.remembered();
    // The embedded server starts only when it is the one in use.
    const server = remembered.serverUrl
      ? { url: remembered.serverUrl, isLocal: false }
      : await this.defaultServer();
    return {
      locked: this.state.locked,
      reason: this.state.reason,
      lockedAt: this.state.lockedAt,
      serverUrl: server.url,
      serverIsLocal: server.isLocal,
      lastUsername: remembered.username,
      canCreateAccount: await this.canCreateAccount(server, remembered.username),
    };
  }

  /**
   * First run on the embedded local server (nobody has unlocked here yet, and that server has
   * sign-up on): the account is created in the app, then unlocked with the same credentials.
   * Refused everywhere else, checked here again whatever the unlock screen showed.
   */
  async createAccount(input: { username: string; password: string }): Promise<AccountView> {
    const remembered = this.o.settings.remembered();
    const server = remembered.serverUrl
      ? { url: remembered.serverUrl, isLocal: false }
      : await this.defaultServer();
    if (!(await this.canCreateAccount(server, remembered.username))) {
      throw new ServiceError(
        'bad_request',
        'Accounts are created here only on the first run with the local account server. Sign in instead.',
      );
    }
    await this.o.client.signup(server.url, input);
    return this.unlock({ username: input.username, password: input.password });
  }

  /**
   * The account this installation signs in to (the remembered username on the remembered or
   * default server), locked or not: account-storage vaults belong to it. Null before the first
   * unlock here.
   */
  async signedInAccount(): Promise<{ serverUrl: string; username: string; isLocal: boolean } | null> {
    const remembered = this.o.settings.remembered();
    if (!remembered.username) return null;
    const server = remembered.serverUrl
      ? { url: remembered.serverUrl, isLocal: false }
      : await this.defaultServer();
    return { serverUrl: new URL(server.url).origin, username: remembered.username, isLocal: server.isLocal };
  }

  /**
   * This device's token for that account: from the keychain (so background work runs while
   * locked), else the one this session could not keep there. For main and the job process only.
   */
  async deviceToken(account: { serverUrl: string; username: string }): Promise<string | null> {
    try {
      const kept = await this.keptDeviceToken(account.serverUrl, account.username);
      if (kept) return kept;
    } catch {
      // No keychain: only an unkept token of the current session can serve.
    }
    const s = this.session;
    const same = s && s.serverUrl === account.serverUrl && s.username === account.username;
    return same ? (s.unkeptDeviceToken ?? null) : null;
  }

  /** Runs `listener` each time the app locks (vault passwords held in memory are forgotten then). */
  onLock(listener: (reason: LockReason) => void): () => void {
    this.lockListeners.add(listener);
    return () => this.lockListeners.delete(listener);
  }

  /** Runs `listener` after each unlock, once the device token is kept (work waiting for it may go). */
  onUnlock(listener: () => void): () => void {
    this.unlockListeners.add(listener);
    return () => this.unlockListeners.delete(listener);
  }

  private async canCreateAccount(
    server: { url: string; isLocal: boolean },
    lastUsername: string | null,
  ): Promise<boolean> {
    if (!server.isLocal || lastUsername !== null) return false;
    try {
      return (await this.o.client.serverInfo(server.url)).signup === true;
    } catch {
      return false; // fail closed: the unlock screen then offers only Unlock
    }
  }

  /**
   * This session's account becomes the unlock screen's default (its vaults moved to it), when the
   * unlock let it be one: a switched account accepting a move must not take the owner's place.
   */
  rememberSession(): void {
    const s = this.session;
    if (!s?.mayBeDefault) return;
    this.o.settings.remember({
      serverUrl: this.isDefaultServer(s.serverUrl) ? null : s.serverUrl,
      username: s.username,
    });
  }

  /** The unlocked session's account (also while its key is not available); null while locked. */
  sessionAccount(): { serverUrl: string; username: string; serverIsLocal: boolean } | null {
    const s = this.session;
    return s ? { serverUrl: s.serverUrl, username: s.username, serverIsLocal: s.serverIsLocal } : null;
  }

  async unlock(input: UnlockInput): Promise<AccountView> {
    const generation = this.generation;
    const remembered = this.o.settings.remembered();
    const chosen = input.serverUrl ?? remembered.serverUrl;
    const serverUrl = new URL(chosen ?? (await this.defaultServer()).url).origin;
    const username = input.username.trim().toLowerCase();

    // One derivation (in the Argon2id worker) gives the auth key sent and the wrap key kept here.
    const credentials = await this.o.client.deriveCredentials(serverUrl, username, input.password);
    let password = { wrapKey: credentials.wrapKey, kdf: credentials.kdf };
    let signIn: DeviceSignIn;
    const kept = this.takeTemporary(serverUrl, username, credentials.authKey, input.newPassword);
    try {
      signIn =
        kept ??
        (await this.o.client.deviceSignInWith(serverUrl, {
          username,
          authKey: credentials.authKey,
          ...(credentials.legacyProof !== undefined ? { legacyProof: credentials.legacyProof } : {}),
          ...(input.totp !== undefined ? { totp: input.totp } : {}),
          ...(input.recoveryCode !== undefined ? { recoveryCode: input.recoveryCode } : {}),
          deviceName: this.o.deviceName,
        }));
    } catch (error) {
      password.wrapKey.fill(0);
      throw error;
    }

    try {
      if (generation !== this.generation) throw lockedError();
      let newPassword: string | undefined;
      if (signIn.keys.passwordChangeRequired) {
        // A password the administrator set: nothing is unwrapped or wrapped with it. It is replaced
        // first, from this session (its second factor is already spent), then the keys follow.
        password.wrapKey.fill(0);
        if (input.newPassword === undefined) {
          this.keepTemporary(signIn, serverUrl, credentials.authKey);
          throw new ServiceError(
            'password_change_required',
            'The administrator set this password. Choose a new password of your own to continue.',
          );
        }
        const next = await this.o.client.newPasswordKeys(input.newPassword);
        password = { wrapKey: next.wrapKey, kdf: next.kdf };
        const keys = await this.o.client.replaceTemporaryPassword(serverUrl, signIn.sessionToken, {
          generation: signIn.keys.generation,
          kdf: next.kdf,
          authKey: next.authKey,
        });
        signIn = { ...signIn, keys };
        newPassword = input.newPassword;
      }
      if (this.o.keys) {
        await this.o.keys.afterSignIn({
          serverUrl,
          username: signIn.account.username,
          serverIsLocal: this.isLocalServer(serverUrl),
          sessionToken: signIn.sessionToken,
          status: signIn.keys,
          mustEnrollTotp: signIn.account.mustEnrollTotp,
          password,
          typedPassword: newPassword ?? input.password,
        });
      }
      if (generation !== this.generation) {
        // Locked (closed, idle, suspend) while the keys were on their way: keep nothing.
        this.o.keys?.forget();
        throw lockedError();
      }
    } catch (error) {
      // Locked while the sign-in was on its way, or the replacement failed: stay locked. A
      // temporary password's session waits for the new password (kept above), nothing else.
      if (this.temporary?.signIn !== signIn) {
        void this.revokeSession(serverUrl, signIn.sessionToken);
        if (signIn.deviceToken) void this.revokeDevice(serverUrl, signIn.deviceToken);
      }
      throw error;
    } finally {
      password.wrapKey.fill(0);
    }

    const previous = this.session;
    if (previous) void this.revokeSession(previous.serverUrl, previous.sessionToken);
    this.session = {
      serverUrl,
      username: signIn.account.username,
      sessionToken: signIn.sessionToken,
      account: signIn.account,
      hasDeviceToken: signIn.deviceToken !== null,
      serverIsLocal: this.isLocalServer(serverUrl),
    };
    this.state = { locked: false, lockedAt: null, reason: null };
    this.persist();
    // "Switch account…" signs in as someone else for this session only.
    const remember =
      !input.switchAccount &&
      (!remembered.username ||
        (this.o.mayRemember?.({
          serverUrl,
          username: signIn.account.username,
          accountUid: signIn.keys.accountUid,
          serverIsLocal: this.isLocalServer(serverUrl),
        }) ??
          true));
    // A move accepted later makes the new address the default for the account whose key moved, but
    // never for an account signed in with "Switch account…".
    this.session.mayBeDefault = !input.switchAccount;
    if (remember) {
      this.o.settings.remember({
        // The default server (embedded, or named at start-up) is remembered as "the default", so it
        // keeps following the embedded server's address.
        serverUrl: this.isDefaultServer(serverUrl) ? null : serverUrl,
        username: signIn.account.username,
      });
    }
    this.lastActivity = this.o.clock.now();
    this.armIdleTimer();

    if (signIn.deviceToken) {
      await this.adoptDeviceToken(
        serverUrl,
        signIn.account.username,
        signIn.sessionToken,
        signIn.deviceToken,
      );
    } else if (signIn.keys.passwordChangeRequired === false && !signIn.account.mustEnrollTotp) {
      // The sign-in with a temporary password got no device token; the replaced one may.
      await this.registerDeviceIfMissing(this.session);
    }
    for (const listener of [...this.unlockListeners]) {
      try {
        listener();
      } catch (error) {
        this.log.warn(`an unlock listener failed: ${errorName(error)}`);
      }
    }
    return toAccountView(
      signIn.account,
      serverUrl,
      await this.keyView(),
      this.session?.deviceTokenProblem ?? null,
    );
  }

  /**
   * "Forgot password?": the recovery key and a code set a new password (AccountKeyService), then
   * the app unlocks with it. The code was spent on the recovery, so an account with two-factor
   * on is asked for the next one (`totp_required`); the new kit waits for that unlock.
   */
  async forgotPassword(input: ForgotPasswordInput): Promise<AccountView> {
    if (!this.o.keys) throw new ServiceError('internal', 'Not available in this version.');
    const remembered = this.o.settings.remembered();
    const chosen = input.serverUrl ?? remembered.serverUrl;
    const serverUrl = new URL(chosen ?? (await this.defaultServer()).url).origin;
    await this.o.keys.forgotPassword(serverUrl, input);
    try {
      return await this.unlock({ serverUrl, username: input.username, password: input.newPassword });
    } catch (error) {
      if (error instanceof ServiceError && error.code === 'totp_required') {
        throw new ServiceError(
          'totp_required',
          'Your new password is set. To unlock, enter it with the next code from your authenticator app (not the one just used).',
        );
      }
      throw error;
    }
  }

  /** The account key's view for this session (the unlock answer, account:get, accountKey:status). */
  async keyView(): Promise<AccountKeyView> {
    return this.o.keys ? this.o.keys.view() : NO_KEY_SERVICE;
  }

  /**
   * After this computer changed the password (which ended every device token of the account, its
   * own too): a new device token from the session that survived, kept as unlock does.
   */
  async registerDeviceAgain(session: Session): Promise<void> {
    session.hasDeviceToken = false;
    await this.registerDeviceIfMissing(session);
  }

  /**
   * After TOTP enrolment: a session whose sign-in got no device token (--require-totp) asks the
   * server for one and keeps it as unlock does, so background work need not wait for the next
   * unlock. Best effort: a failure is logged (by its code, never a token) and changes nothing.
   */
  async registerDeviceIfMissing(session: Session): Promise<void> {
    if (session.hasDeviceToken) return;
    let registration: { deviceToken: string };
    try {
      registration = await this.o.client.registerDevice(session.serverUrl, session.sessionToken, {
        deviceName: this.o.deviceName,
      });
    } catch (error) {
      const reason = error instanceof ServiceError ? error.code : errorName(error);
      this.log.warn(`device not registered after two-factor enrolment (${reason}); the next unlock will`);
      return;
    }
    session.hasDeviceToken = true;
    await this.adoptDeviceToken(
      session.serverUrl,
      session.username,
      session.sessionToken,
      registration.deviceToken,
    );
  }

  /** Locks now. Returns false when the app was already locked (nothing else happens then). */
  lock(reason: LockReason): boolean {
    // Also while locked: an unlock still on its way must not complete after this.
    this.generation++;
    if (this.state.locked) {
      this.dropSession();
      return false;
    }
    this.state = { locked: true, lockedAt: new Date(this.o.clock.now()).toISOString(), reason };
    this.persist();
    this.dropSession();
    for (const listener of [...this.lockListeners]) {
      try {
        listener(reason);
      } catch (error) {
        this.log.warn(`a lock listener failed: ${errorName(error)}`);
      }
    }
    return true;
  }

  /** The window's close handler: synchronous, so the state is on disk before the window goes. */
  lockForClose(): void {
    if (!this.lock('close')) this.persist();
  }

  /** Account -> Change account settings -> Lock… -> confirm: lock, then close the app. */
  lockAndClose(): void {
    this.lock('manual');
    this.o.shell.close();
  }

  /** Idle, suspend, screen lock and an ended session leave the window open on the unlock screen. */
  lockInPlace(reason: Exclude<LockReason, 'close' | 'manual'>): void {
    if (this.lock(reason)) this.o.shell.showLocked(reason);
  }

  /** "Lock now" from the app menu, the tray or Ctrl+L / Cmd+L: lock, and stay on the unlock screen. */
  lockNow(): void {
    this.lockInPlace('manual-in-place');
  }

  /** The renderer reports user input; it postpones the idle lock. */
  activity(): void {
    this.lastActivity = this.o.clock.now();
    if (!this.state.locked && this.idleTimer === null) this.armIdleTimer();
  }

  /**
   * Runs `fn` with the signed-in session; refuses while locked. When the server says the session
   * has ended (expired, revoked from the web panel, or ended by a password change), the app locks
   * in place: the person lands on the unlock screen, saying why, instead of on settings that can
   * only fail.
   */
  async withSession<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    const session = this.session;
    if (this.state.locked || !session) throw lockedError();
    try {
      return await fn(session);
    } catch (error) {
      const reason = error instanceof ServiceError ? SESSION_ENDED[error.code] : undefined;
      if (reason && this.session === session) {
        this.lockInPlace(reason);
        throw lockedError();
      }
      throw error;
    }
  }

  dispose(): void {
    this.clearIdleTimer();
    for (const d of this.disposers.splice(0)) d();
  }

  private isLocalServer(origin: string): boolean {
    const local = this.o.localServer?.url();
    return !this.o.defaultServerUrl && !!local && originOrNull(local) === origin;
  }

  private isDefaultServer(origin: string): boolean {
    const defaults = [this.o.defaultServerUrl, this.o.localServer?.url()].filter((u): u is string => !!u);
    return defaults.some((u) => originOrNull(u) === origin);
  }

  private async defaultServer(): Promise<{ url: string; isLocal: boolean }> {
    if (this.o.defaultServerUrl) return { url: this.o.defaultServerUrl, isLocal: false };
    if (!this.o.localServer) throw new ServiceError('unreachable', 'No account server is configured.');
    try {
      return { url: await this.o.localServer.ensureStarted(), isLocal: true };
    } catch {
      throw new ServiceError('unreachable', 'The local account server could not start.');
    }
  }

  private lockOnPowerEvent(reason: 'suspend' | 'screen-lock'): void {
    if (this.o.settings.get().lockOnSuspend) this.lockInPlace(reason);
  }

  private armIdleTimer(): void {
    this.clearIdleTimer();
    if (this.state.locked) return;
    const limit = this.o.settings.get().autoLockMinutes * 60_000;
    const remaining = this.lastActivity + limit - this.o.clock.now();
    if (remaining <= 0) {
      this.lockInPlace('idle');
      return;
    }
    this.idleTimer = this.o.clock.setTimeout(() => {
      this.idleTimer = null;
      this.armIdleTimer();
    }, remaining);
  }

  private clearIdleTimer(): void {
    if (this.idleTimer !== null) this.o.clock.clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  /** Keeps a temporary password's session for ten minutes, for the call with the new password. */
  private keepTemporary(signIn: DeviceSignIn, serverUrl: string, authKey: string): void {
    this.dropTemporary();
    this.temporary = { signIn, serverUrl, authKey, until: this.o.clock.now() + 10 * 60_000 };
  }

  /**
   * The kept session when this call brings the new password for the same account and the same
   * (temporary) password, compared in constant time; anything else ends it.
   */
  private takeTemporary(
    serverUrl: string,
    username: string,
    authKey: string,
    newPassword: string | undefined,
  ): DeviceSignIn | null {
    const t = this.temporary;
    if (!t) return null;
    const same =
      newPassword !== undefined &&
      t.serverUrl === serverUrl &&
      t.signIn.account.username === username &&
      this.o.clock.now() < t.until &&
      constantTimeEqual(new TextEncoder().encode(t.authKey), new TextEncoder().encode(authKey));
    if (!same) {
      this.dropTemporary();
      return null;
    }
    this.temporary = null;
    return t.signIn;
  }

  private dropTemporary(): void {
    const t = this.temporary;
    this.temporary = null;
    if (t) void this.revokeSession(t.serverUrl, t.signIn.sessionToken);
  }

  private dropSession(): void {
    this.dropTemporary();
    this.clearIdleTimer();
    const session = this.session;
    this.session = null;
    if (!session) return;
    void this.revokeSession(session.serverUrl, session.sessionToken);
    if (session.unkeptDeviceToken) void this.revokeDevice(session.serverUrl, session.unkeptDeviceToken);
  }

  private persist(): void {
    try {
      this.o.store.write('lock', this.state);
    } catch (error) {
      // The app stays locked in memory and starts locked anyway; only the record is missing.
      this.log.warn(`could not write the lock state: ${errorName(error)}`);
    }
  }

  /**
   * Keeps a new device token (from unlock or from registration after enrolment): in the keychain,
   * or, when it cannot take it, with the session that got it, to be revoked when that ends (or at
   * once when it has already ended).
   */
  private async adoptDeviceToken(
    serverUrl: string,
    username: string,
    sessionToken: string,
    token: string,
  ): Promise<void> {
    const problem = await this.keepDeviceToken(serverUrl, username, token);
    const own = this.session?.sessionToken === sessionToken ? this.session : null;
    if (own) {
      if (problem) own.deviceTokenProblem = problem;
      else delete own.deviceTokenProblem;
    }
    if (!problem) return;
    if (own) own.unkeptDeviceToken = token;
    else void this.revokeDevice(serverUrl, token);
  }

  /**
   * Offers the keychain again the device token it refused this session (the person unlocked or fixed
   * it). Answers what is still wrong, or null once it is kept.
   */
  async keepDeviceTokenAgain(): Promise<string | null> {
    const s = this.session;
    if (!s) throw lockedError();
    if (!s.unkeptDeviceToken) return s.deviceTokenProblem ?? null;
    const problem = await this.keepDeviceToken(s.serverUrl, s.username, s.unkeptDeviceToken);
    if (problem) {
      s.deviceTokenProblem = problem;
      return problem;
    }
    delete s.unkeptDeviceToken;
    delete s.deviceTokenProblem;
    return null;
  }

  /**
   * "This account's server moved", accepted: the unlock at the new address kept a device token
   * there; the one kept for the old address leaves the keychain. It is never sent to the new address:
   * a token goes only to the server that issued it, and a copy of that server's database served
   * elsewhere would collect it. The old device shows in the panel's list, where it can be revoked.
   */
  async forgetMovedDeviceToken(from: string, _to: string, username: string): Promise<void> {
    const old = deviceTokenAccount(from, username);
    try {
      if (!(await this.o.secrets.get(old))) return;
      await this.o.secrets.delete(old);
    } catch (error) {
      this.log.warn(`the old address's device token was not removed (${errorName(error)})`);
    }
  }

  /** The keychain account of this device's token for an account (see deviceTokenAccount). */
  private deviceTokenName(serverUrl: string, username: string): string {
    const origin = new URL(serverUrl).origin;
    return this.isLocalServer(origin)
      ? `${THIS_COMPUTERS_SERVER}/${username}`
      : deviceTokenAccount(origin, username);
  }

  /**
   * The kept device token. One kept for the local server under its address of the moment (before
   * the port-independent name) is read once and renamed.
   */
  private async keptDeviceToken(serverUrl: string, username: string): Promise<string | null> {
    const name = this.deviceTokenName(serverUrl, username);
    const kept = await this.o.secrets.get(name);
    const legacy = deviceTokenAccount(serverUrl, username);
    if (kept || name === legacy) return kept;
    const old = await this.o.secrets.get(legacy);
    if (!old) return null;
    await this.o.secrets.set(name, old);
    await this.o.secrets.delete(legacy);
    return old;
  }

  /** Stores the device token in the keychain; what went wrong, in words, when it could not take it. */
  private async keepDeviceToken(serverUrl: string, username: string, token: string): Promise<string | null> {
    const account = this.deviceTokenName(serverUrl, username);
    let previous: string | null;
    try {
      previous = await this.keptDeviceToken(serverUrl, username);
      await this.o.secrets.set(account, token);
    } catch (error) {
      // No keychain (e.g. no Secret Service): background work waits for the next unlock, and the
      // token nobody can keep is revoked when this session ends (revoking the device now would
      // end the session with it).
      this.log.warn(`device token not kept (keychain unavailable: ${errorName(error)})`);
      return KEYCHAIN_REFUSED;
    }
    // The same computer signed in again: the device it replaces is revoked on the server.
    if (previous && previous !== token) void this.revokeDevice(serverUrl, previous);
    return null;
  }

  private async revokeSession(serverUrl: string, token: string): Promise<void> {
    try {
      await this.o.client.signOut(serverUrl, token);
    } catch {
      // Unreachable or already expired: the token dies with its expiry on the server.
    }
  }

  private async revokeDevice(serverUrl: string, token: string): Promise<void> {
    try {
      await this.o.client.revokeDevice(serverUrl, token);
    } catch {
      // Best effort, as above.
    }
  }
}

function safeRead(store: SettingsStore): unknown {
  try {
    return store.read('lock');
  } catch {
    return undefined;
  }
}

function originOrNull(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : typeof error;
}
