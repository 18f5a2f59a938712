import { useEffect } from 'react';
import type { AccountView } from '../../src-shared/ipc-contract';
import { AccountPage } from './account-page';
import { AccountSettings } from './account-settings';
import { ActivityReporter, watchActivity } from './activity';
import { call, desktopApi } from './api';
import { useDesktop } from './store';

/** The unlocked app: the side menu ("Account" at the bottom left) and the page it selects. */
export function MainWindow({ account, serverIsLocal }: { account: AccountView; serverIsLocal: boolean }) {
  const view = useDesktop((s) => s.view);
  const navigate = useDesktop((s) => s.navigate);

  // Input keeps the idle lock from firing; reported at most once per interval, never with content.
  useEffect(() => {
    const bridge = desktopApi();
    if (!bridge) return;
    const reporter = new ActivityReporter(() => {
      void call(() => bridge.activityPing());
    });
    return watchActivity(window, reporter);
  }, []);

  const onAccount = view.page === 'account' || view.page === 'account-settings';
  return (
    <div className="shell">
      <nav className="side-menu" aria-label="Main menu">
        <div className="side-brand">
          <span className="brand-glyph small" aria-hidden="true" />
          <span>Strongroom</span>
        </div>
        <ul className="side-bottom">
          <li>
            <button
              type="button"
              className="side-item"
              aria-current={onAccount ? 'page' : undefined}
              onClick={() => navigate({ page: 'account' })}
            >
              <span className="side-icon account-icon" aria-hidden="true" />
              Account
            </button>
          </li>
        </ul>
      </nav>
      <main className="content">
        {view.page === 'account-settings' ? (
          <AccountSettings account={account} serverIsLocal={serverIsLocal} tab={view.tab} />
        ) : (
          <AccountPage account={account} serverIsLocal={serverIsLocal} />
        )}
      </main>
    </div>
  );
}
