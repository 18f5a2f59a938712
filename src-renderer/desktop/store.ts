import { create } from 'zustand';
import type {
  AccountView,
  DesktopApi,
  IpcError,
  LockReason,
  LockStatus,
  Result,
} from '../../src-shared/ipc-contract';
import { call, desktopApi } from './api';

/**
 * What the window shows. Only `unlocked` renders anything of the account; every other screen is
 * the unlock screen or a neutral message, so nothing of the app is reachable while locked.
 */
export type Screen =
  | { kind: 'starting' }
  | { kind: 'no-bridge' }
  | { kind: 'start-failed'; message: string }
  | { kind: 'locked'; status: LockStatus; notice: LockReason | null }
  | { kind: 'unlocked'; account: AccountView; serverIsLocal: boolean }
  | { kind: 'closing' };

export type View =
  | { page: 'backups' }
  /** "Add protected item" (itemId null) or editing one. */
  | { page: 'item-form'; itemId: string | null }
  | { page: 'vaults' }
  | { page: 'vault-form' }
  | { page: 'history' }
  | { page: 'restore' }
  /** The first-run guide, right after "Create account". */
  | { page: 'guide' }
  | { page: 'account' }
  | { page: 'account-settings'; tab: SettingsTab };

/** The page an unlocked app opens on: Backups, unless the account must set up two-factor first. */
export function homeView(account: AccountView): View {
  return account.mustEnrollTotp ? { page: 'account' } : { page: 'backups' };
}
export type SettingsTab = 'account' | 'two-factor' | 'auto-lock';

interface DesktopState {
  screen: Screen;
  view: View;
  /** Asks main whether the app is locked (always first) and shows the screen that goes with it. */
  start(): Promise<void>;
  /** After a successful auth:unlock, or auth:createAccount (firstRun: the guide comes next). */
  unlocked(account: AccountView, options?: { firstRun?: boolean }): void;
  /** Main locked the app (onLocked, or a call refused with `locked`): drop every account detail now. */
  lockedByMain(reason: LockReason | null): void;
  /** Re-reads the account (after enabling or disabling two-factor authentication). */
  refreshAccount(): Promise<Result<AccountView>>;
  /** Account tab -> Lock… -> confirm. */
  lockAndClose(): Promise<IpcError | null>;
  /** Ctrl+L / Cmd+L: lock in place; main answers with onLocked and the unlock screen follows. */
  lockNow(): Promise<void>;
  navigate(view: View): void;
  /** For every account call: a `locked` answer means the app is locked, whatever this window thought. */
  guard<T>(result: Result<T>): Result<T>;
}

const START_ATTEMPTS = 5;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function api(): DesktopApi {
  const bridge = desktopApi();
  if (!bridge) throw new Error('window.api is missing');
  return bridge;
}

export const useDesktop = create<DesktopState>()((set, get) => ({
  screen: { kind: 'starting' },
  view: { page: 'account' },

  async start() {
    const bridge = desktopApi();
    if (!bridge) {
      set({ screen: { kind: 'no-bridge' } });
      return;
    }
    set({ screen: { kind: 'starting' }, view: { page: 'account' } });
    // The bridge may still be connecting right after a reload: a few quick retries before giving up.
    let status: Result<LockStatus> | null = null;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      status = await call(() => bridge.lockStatus());
      if (status.ok) break;
      if (attempt < START_ATTEMPTS) await sleep(150 * attempt);
    }
    if (!status || !status.ok) {
      set({
        screen: {
          kind: 'start-failed',
          message: status?.error.message || 'The app did not answer.',
        },
      });
      return;
    }
    if (status.value.locked) {
      set({ screen: { kind: 'locked', status: status.value, notice: status.value.reason } });
      return;
    }
    // Unlocked (a reload while signed in): show the account only if main still vouches for it.
    const account = await call(() => bridge.accountGet());
    if (account.ok) {
      set({
        screen: {
          kind: 'unlocked',
          account: account.value,
          serverIsLocal: status.value.serverIsLocal && status.value.serverUrl === account.value.serverUrl,
        },
        view: homeView(account.value),
      });
    } else {
      set({ screen: { kind: 'locked', status: { ...status.value, locked: true }, notice: null } });
    }
  },

  unlocked(account, options) {
    const before = get().screen;
    const serverIsLocal =
      before.kind === 'locked' &&
      before.status.serverIsLocal &&
      before.status.serverUrl === account.serverUrl;
    const view: View = options?.firstRun && !account.mustEnrollTotp ? { page: 'guide' } : homeView(account);
    set({ screen: { kind: 'unlocked', account, serverIsLocal }, view });
  },

  lockedByMain(reason) {
    if (get().screen.kind === 'closing') return;
    // Forget the account at once; main reloads the window next, and start() asks lock:status again.
    set({ screen: { kind: 'starting' }, view: { page: 'account' } });
    void get()
      .start()
      .then(() => {
        const screen = get().screen;
        if (reason && screen.kind === 'locked') set({ screen: { ...screen, notice: reason } });
      });
  },

  async refreshAccount() {
    const result = get().guard(await call(() => api().accountGet()));
    const screen = get().screen;
    if (result.ok && screen.kind === 'unlocked') set({ screen: { ...screen, account: result.value } });
    return result;
  },

  async lockAndClose() {
    const result = await call(() => api().lockLockAndClose());
    if (!result.ok) {
      if (result.error.code === 'locked') {
        set({ screen: { kind: 'closing' } });
        return null;
      }
      return result.error;
    }
    // Main closes the window now; until it does, show nothing of the account.
    set({ screen: { kind: 'closing' }, view: { page: 'account' } });
    return null;
  },

  async lockNow() {
    const result = get().guard(await call(() => api().lockLockNow()));
    // Main has locked: its onLocked names the reason; forget the account now in case it is late.
    if (result.ok) get().lockedByMain('manual-in-place');
  },

  navigate(view) {
    set({ view });
  },

  guard(result) {
    if (!result.ok && result.error.code === 'locked') get().lockedByMain(null);
    return result;
  },
}));
