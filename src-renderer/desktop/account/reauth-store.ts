import { create } from 'zustand';

/**
 * The password prompt for `reauthentication_required`: an action that needs a fresh sign-in asks
 * here, the prompt (ReauthDialog) calls account:reauthenticate, and the action is tried again. Any
 * number of actions waiting at once share one prompt.
 */
interface ReauthState {
  /** The prompt is on screen. */
  open: boolean;
  waiting: ((reauthenticated: boolean) => void)[];
  /** Resolves true once the person has signed in again, false if they cancelled. */
  ask(): Promise<boolean>;
  /** The prompt's outcome, for every action waiting on it. */
  finish(reauthenticated: boolean): void;
}

export const useReauth = create<ReauthState>()((set, get) => ({
  open: false,
  waiting: [],
  ask() {
    return new Promise<boolean>((resolve) => {
      set((s) => ({ open: true, waiting: [...s.waiting, resolve] }));
    });
  },
  finish(reauthenticated) {
    const waiting = get().waiting;
    set({ open: false, waiting: [] });
    for (const resolve of waiting) resolve(reauthenticated);
  },
}));
