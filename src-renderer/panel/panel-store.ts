/**
 * The panel's state: who is signed in and what the sign-in page should say. Account data lives
 * only here, in memory, and is dropped on sign-out or when the session is found gone.
 */
import { createStore } from 'zustand/vanilla';
import type { AccountKeyStatus } from '../../src-shared/account-keys-api';
import type { AccountSummary, ServerInfo } from '../../src-shared/http-api';
import type { Problem } from '../components/action-result';
import type { PanelApiClient } from './api-client';

export type PanelStatus = 'loading' | 'unreachable' | 'signed-out' | 'signed-in';

export interface SignInNotice {
  kind: 'info' | 'error';
  text: string;
}

export interface PanelState {
  status: PanelStatus;
  serverInfo: ServerInfo | null;
  account: AccountSummary | null;
  /** The account's key status: a password the administrator set must be replaced first. */
  keys: AccountKeyStatus | null;
  /** What the sign-in page says on arrival: signed out, session expired, account created. */
  notice: SignInNotice | null;
  /** Username to put in the sign-in form (after creating an account). */
  prefillUsername: string;
  loadError: Problem | null;

  load(): Promise<void>;
  signedIn(account: AccountSummary, keys: AccountKeyStatus): void;
  setAccount(account: AccountSummary): void;
  setKeys(keys: AccountKeyStatus): void;
  refreshAccount(): Promise<void>;
  signOut(): Promise<void>;
  sessionLost(problem: Problem): void;
  accountCreated(username: string): void;
  clearNotice(): void;
}

export function createPanelStore(client: PanelApiClient) {
  const store = createStore<PanelState>()((set) => ({
    status: 'loading',
    serverInfo: null,
    account: null,
    keys: null,
    notice: null,
    prefillUsername: '',
    loadError: null,

    async load() {
      set({ status: 'loading', loadError: null });
      const info = await client.serverInfo();
      if (!info.ok) {
        set({ status: 'unreachable', loadError: info.error });
        return;
      }
      const session = await client.currentSession();
      if (session.ok)
        set({
          serverInfo: info.value,
          status: 'signed-in',
          account: session.value.account,
          keys: session.value.keys,
        });
      else if (session.error.code === 'unreachable' || session.error.code === 'internal')
        set({ serverInfo: info.value, status: 'unreachable', loadError: session.error });
      else
        set({
          serverInfo: info.value,
          status: 'signed-out',
          account: null,
          keys: null,
          // Back after a long break (or a reload of a stale tab): say why sign-in is asked again.
          notice:
            session.error.code === 'session_expired' || session.error.code === 'password_changed'
              ? { kind: 'error', text: session.error.message }
              : null,
        });
    },
    signedIn(account, keys) {
      set({ status: 'signed-in', account, keys, notice: null, prefillUsername: '' });
    },
    setAccount(account) {
      set({ account });
    },
    setKeys(keys) {
      set({ keys });
    },
    async refreshAccount() {
      const r = await client.account();
      if (r.ok) set({ account: r.value });
    },
    async signOut() {
      // Whatever the server answers (already expired, unreachable), the page forgets the session.
      await client.signOut();
      set({
        status: 'signed-out',
        account: null,
        keys: null,
        notice: { kind: 'info', text: 'You have signed out.' },
      });
    },
    sessionLost(problem) {
      set({
        status: 'signed-out',
        account: null,
        keys: null,
        notice: { kind: 'error', text: problem.message },
      });
    },
    accountCreated(username) {
      set({
        notice: { kind: 'info', text: `Account “${username}” created. Sign in with it now.` },
        prefillUsername: username,
      });
    },
    clearNotice() {
      set({ notice: null });
    },
  }));
  client.onSessionLost((p) => store.getState().sessionLost(p));
  return store;
}

export type PanelStore = ReturnType<typeof createPanelStore>;
