import { useEffect, useRef, useState } from 'react';
import { ErrorMessage } from '../components/error-message';
import { CreateAccountPage } from './create-account-page';
import { navigate, routePaths, useRoute, type RouteName } from './hash-route';
import { MyAccountPage } from './my-account-page';
import { NewPasswordPage } from './new-password-page';
import { OverviewPage } from './overview-page';
import { usePanel, useSignOut } from './panel-context';
import { SignInPage } from './sign-in-page';
import { StoragePage } from './storage-page';

const TITLES: Record<RouteName, string> = {
  home: 'Backup account',
  'sign-in': 'Sign in',
  'create-account': 'Create account',
  account: 'My Account',
  storage: 'Storage',
};

export function PanelApp() {
  const status = usePanel((s) => s.status);
  const loadError = usePanel((s) => s.loadError);
  const load = usePanel((s) => s.load);
  const signup = usePanel((s) => s.serverInfo?.signup ?? false);
  const mustEnroll = usePanel((s) => s.account?.mustEnrollTotp ?? false);
  const mustChangePassword = usePanel((s) => s.keys?.passwordChangeRequired ?? false);
  const route = useRoute();

  useEffect(() => {
    void load();
  }, [load]);

  // Which page a route shows depends on the session: signed out, only sign-in and create account.
  let page: RouteName;
  if (status !== 'signed-in') page = route === 'create-account' && signup ? 'create-account' : 'sign-in';
  else if (mustEnroll || mustChangePassword) page = 'account';
  else page = route === 'sign-in' || route === 'create-account' ? 'home' : route;

  useEffect(() => {
    if (status === 'loading' || status === 'unreachable') return;
    // Keep the address bar honest; a signed-out visit to #/account comes back there after sign-in.
    if (page !== route && !(status !== 'signed-in' && route === 'account')) navigate(page);
    document.title = `${mustChangePassword && page === 'account' ? 'Choose your password' : TITLES[page]} · Strongroom`;
    // Move focus to a signed-in page's heading so screen readers announce the change (the sign-in
    // and create-account forms focus their first field instead).
    if (status === 'signed-in') document.getElementById('page-title')?.focus();
  }, [page, route, status, mustChangePassword]);

  if (status === 'loading') {
    return (
      <div className="panel-shell">
        <Header signedIn={false} />
        <main className="panel-card" aria-busy="true">
          <p role="status">Loading…</p>
        </main>
      </div>
    );
  }
  if (status === 'unreachable') {
    return (
      <div className="panel-shell">
        <Header signedIn={false} />
        <main className="panel-card">
          <h1>Cannot reach the account server</h1>
          <ErrorMessage error={loadError} />
          <div className="sr-actions">
            <button type="button" className="sr-primary" onClick={() => void load()}>
              Retry
            </button>
          </div>
        </main>
      </div>
    );
  }

  return (
    <div className="panel-shell">
      <Header signedIn={status === 'signed-in'} limited={mustEnroll || mustChangePassword} />
      {page === 'sign-in' && <SignInPage />}
      {page === 'create-account' && <CreateAccountPage />}
      {page === 'home' && <OverviewPage />}
      {/* A password the administrator set comes before anything else, two-factor set-up included. */}
      {page === 'account' && (mustChangePassword ? <NewPasswordPage /> : <MyAccountPage />)}
      {page === 'storage' && <StoragePage />}
    </div>
  );
}

function Header({ signedIn, limited = false }: { signedIn: boolean; limited?: boolean }) {
  const username = usePanel((s) => s.account?.username);
  const signOut = useSignOut();
  const [open, setOpen] = useState(false);
  const menuRef = useRef<HTMLDivElement>(null);
  const menuButtonRef = useRef<HTMLButtonElement>(null);
  const route = useRoute();

  // Close the menu whenever the page changes or a click lands outside it.
  useEffect(() => {
    const close = () => setOpen(false);
    const outside = (e: PointerEvent) => {
      if (!menuRef.current?.contains(e.target as Node | null)) setOpen(false);
    };
    window.addEventListener('hashchange', close);
    document.addEventListener('pointerdown', outside);
    return () => {
      window.removeEventListener('hashchange', close);
      document.removeEventListener('pointerdown', outside);
    };
  }, []);

  return (
    <header className="panel-header">
      <a className="panel-brand" href={routePaths.home}>
        Strongroom <span>control panel</span>
      </a>
      {signedIn && (
        <nav aria-label="Main" className="panel-nav">
          {!limited && (
            <a href={routePaths.storage} aria-current={route === 'storage' ? 'page' : undefined}>
              Storage
            </a>
          )}
          {!limited && (
            <div
              className="panel-menu"
              ref={menuRef}
              onKeyDown={(e) => {
                // Escape closes the menu from the button or from inside it, and focus goes back to
                // the button rather than being lost with the link that disappears.
                if (e.key === 'Escape' && open) {
                  setOpen(false);
                  menuButtonRef.current?.focus();
                }
              }}
            >
              <button
                ref={menuButtonRef}
                type="button"
                aria-expanded={open}
                aria-controls="account-settings-menu"
                onClick={() => setOpen(!open)}
              >
                Account settings <span aria-hidden="true">▾</span>
              </button>
              {open && (
                <ul id="account-settings-menu" className="panel-menu-list">
                  <li>
                    <a href={routePaths.account} aria-current={route === 'account' ? 'page' : undefined}>
                      My Account
                    </a>
                  </li>
                </ul>
              )}
            </div>
          )}
          <span className="panel-user">{username}</span>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </nav>
      )}
    </header>
  );
}
