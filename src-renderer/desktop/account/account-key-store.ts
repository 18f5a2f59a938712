import { create } from 'zustand';
import type {
  AccountComputersView,
  AccountKeyView,
  AccountKitPendingView,
  AccountKitView,
  IpcError,
  Result,
} from '../../../src-shared/ipc-contract';
import { request } from '../request';

/**
 * The account's key as this window shows it: whether it is ready, whether a recovery kit waits to
 * be saved (the dialog after unlock and the banner on Backups), and the other computers' backups
 * to offer. The recovery key itself is held only while the kit dialog is open: main hands it out
 * once, when it made the kit, and again only after the password; this store forgets it when the
 * dialog closes or the app locks.
 */
export interface AccountKeyState {
  status: AccountKeyView | null;
  statusError: IpcError | null;
  /** The kit on screen (without its recovery key after main's one showing); null when the dialog is closed. */
  kit: AccountKitView | AccountKitPendingView | null;
  kitError: IpcError | null;
  /** The kit dialog was shown once after this unlock (it is not forced on the person again). */
  kitOffered: boolean;
  computers: AccountComputersView | null;
  computersError: IpcError | null;
  /** Unlocked to set up two-factor authentication first (a server requiring it): no key is opened until the next unlock. */
  enrolling: boolean;

  /**
   * Right after an unlock (or a reload while unlocked): the key's state as the unlock answered it.
   * Opens the kit dialog when a kit is pending, and reads the computers when there is a restore to offer.
   */
  begin(status: AccountKeyView, options?: { enrolling?: boolean }): Promise<void>;
  /** Reads accountKey:status again (after a restore, a take-over, a saved kit). */
  load(): Promise<void>;
  /** Opens the kit dialog (from the banner on Backups). */
  openKit(): Promise<Result<AccountKitView | AccountKitPendingView>>;
  /** Shows a kit with its recovery key (a new recovery kit from Account settings, "Show the recovery key again"). */
  showKit(kit: AccountKitView): void;
  /** Closes the dialog; the kit stays pending (the banner stays) unless it was confirmed. */
  closeKit(): void;
  /** "I have saved it": main forgets the recovery key and the banner goes. */
  confirmSaved(): Promise<Result<null>>;
  loadComputers(): Promise<void>;
  /** Forget everything (the app locked). */
  reset(): void;
}

const EMPTY = {
  status: null,
  statusError: null,
  kit: null,
  kitError: null,
  kitOffered: false,
  computers: null,
  computersError: null,
  enrolling: false,
} as const;

export const useAccountKey = create<AccountKeyState>()((set, get) => ({
  ...EMPTY,

  async begin(status, options) {
    set({ status, statusError: null, enrolling: options?.enrolling ?? false });
    const work: Promise<unknown>[] = [];
    if (status.kitPending && !get().kitOffered) {
      set({ kitOffered: true });
      work.push(get().openKit());
    }
    if (status.offerRestore) work.push(get().loadComputers());
    await Promise.all(work);
  },

  async load() {
    const result = await request((api) => api.accountKeyStatus());
    if (!result.ok) {
      set({ statusError: result.error });
      return;
    }
    set({ status: result.value, statusError: null });
  },

  async openKit() {
    const result = await request((api) => api.accountKitGet());
    if (result.ok) {
      const shown = get().kit;
      // A second read of the same kit (a double mount) must not hide the key the first one showed.
      const same =
        shown?.recoveryKey && result.value.recoveryKey === null && shown.createdAt === result.value.createdAt;
      if (!same) set({ kit: result.value, kitError: null });
    } else set({ kitError: result.error });
    return result;
  },

  showKit(kit) {
    set((s) => ({ kit, kitError: null, status: s.status ? { ...s.status, kitPending: true } : s.status }));
  },

  closeKit() {
    set({ kit: null, kitError: null });
  },

  async confirmSaved() {
    const result = await request((api) => api.accountKitConfirmSaved());
    if (result.ok)
      set((s) => ({ kit: null, status: s.status ? { ...s.status, kitPending: false } : s.status }));
    return result;
  },

  async loadComputers() {
    const result = await request((api) => api.accountComputers());
    if (result.ok) set({ computers: result.value, computersError: null });
    else set({ computersError: result.error });
  },

  reset() {
    set({ ...EMPTY });
  },
}));
