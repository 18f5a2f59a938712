import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { PanelApiClient } from './api-client';
import { navigate } from './hash-route';
import type { PanelState, PanelStore } from './panel-store';

interface PanelDeps {
  client: PanelApiClient;
  store: PanelStore;
}

const PanelContext = createContext<PanelDeps | null>(null);

export function PanelProvider({ client, store, children }: PanelDeps & { children: ReactNode }) {
  return <PanelContext.Provider value={{ client, store }}>{children}</PanelContext.Provider>;
}

function useDeps(): PanelDeps {
  const deps = useContext(PanelContext);
  if (!deps) throw new Error('PanelProvider is missing');
  return deps;
}

export function useClient(): PanelApiClient {
  return useDeps().client;
}

export function usePanel<T>(select: (s: PanelState) => T): T {
  return useStore(useDeps().store, select);
}

/** Signing out on purpose lands on the sign-in page (a lost session keeps the page to come back to). */
export function useSignOut(): () => Promise<void> {
  const signOut = usePanel((s) => s.signOut);
  return async () => {
    await signOut();
    navigate('sign-in');
  };
}
