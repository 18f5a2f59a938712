import { useSyncExternalStore } from 'react';

/** Hash routes work from `/` with no server-side routing and survive a reload. */
export type RouteName = 'home' | 'sign-in' | 'create-account' | 'account' | 'storage';

export const routePaths: Record<RouteName, string> = {
  home: '#/',
  'sign-in': '#/sign-in',
  'create-account': '#/create-account',
  account: '#/account',
  storage: '#/storage',
};

export function parseRoute(hash: string): RouteName {
  switch (hash.replace(/\/+$/, '')) {
    case '#/sign-in':
      return 'sign-in';
    case '#/create-account':
      return 'create-account';
    case '#/account':
      return 'account';
    case '#/storage':
      return 'storage';
    default:
      return 'home';
  }
}

function subscribe(onChange: () => void) {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function useRoute(): RouteName {
  return parseRoute(useSyncExternalStore(subscribe, () => window.location.hash));
}

export function navigate(route: RouteName): void {
  if (window.location.hash !== routePaths[route]) window.location.hash = routePaths[route];
}
