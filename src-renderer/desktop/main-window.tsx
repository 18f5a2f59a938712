import { useEffect, useRef } from 'react';
import type { AccountView } from '../../src-shared/ipc-contract';
import { AccountKitDialog } from './account/account-kit-dialog';
import { useAccountKey } from './account/account-key-store';
import { ReauthDialog } from './account/reauth-dialog';
import { useReauth } from './account/reauth-store';
import { AccountPage } from './account-page';
import { AccountSettings } from './account-settings';
import { ActivityReporter, watchActivity } from './activity';
import { call, desktopApi } from './api';
import { BackupsPage } from './backups/backups-page';
import { useBackups } from './backups/backups-store';
import { FirstRunGuide } from './backups/first-run-guide';
import { ItemForm } from './backups/item-form';
import { VaultFormPage, VaultsPage } from './backups/vaults-page';
import { HistoryPage } from './history/history-page';
import { useHistory } from './history/history-store';
import { useFind } from './restore/find-store';
import { RestorePage } from './restore/restore-page';
import { useRestore } from './restore/restore-store';
import { useDesktop, type View } from './store';

type Section = 'backups' | 'restore' | 'history' | 'account';

function sectionOf(view: View): Section {
  switch (view.page) {
    case 'restore':
      return 'restore';
    case 'history':
      return 'history';
    case 'account':
    case 'account-settings':
      return 'account';
    default:
      return 'backups';
  }
}

const TOP: { id: Exclude<Section, 'account'>; label: string; view: View }[] = [
  { id: 'backups', label: 'Backups', view: { page: 'backups' } },
  { id: 'restore', label: 'Restore', view: { page: 'restore' } },
  { id: 'history', label: 'History', view: { page: 'history' } },
];

/** The unlocked app: the side menu (Backups, Restore, History; "Account" at the bottom left) and the page it selects. */
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

  // Ctrl+L / Cmd+L locks from anywhere in the unlocked app; this window shows nothing else, so the
  // keys are free again on the unlock screen.
  const lockNow = useDesktop((s) => s.lockNow);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
      if (event.key.toLowerCase() !== 'l') return;
      event.preventDefault();
      void lockNow();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [lockNow]);

  // Live jobs: main sends these only while unlocked. Every store that shows jobs hears them; all
  // of them forget what they held when this window stops showing the unlocked app.
  useEffect(() => {
    const bridge = desktopApi();
    const offProgress = bridge?.onJobProgress((progress) => {
      useBackups.getState().jobProgress(progress);
      useRestore.getState().jobProgress(progress);
      useFind.getState().jobProgress(progress);
    });
    const offChanged = bridge?.onJobChanged((job) => {
      useBackups.getState().jobChanged(job);
      useHistory.getState().jobChanged(job);
      useRestore.getState().jobChanged(job);
      useFind.getState().jobChanged(job);
    });
    return () => {
      offProgress?.();
      offChanged?.();
      useBackups.getState().reset();
      useHistory.getState().reset();
      useRestore.getState().reset();
      useFind.getState().reset();
    };
  }, []);

  // The account's key: the recovery kit dialog right after the unlock that made it (or reset the
  // password), and what the Backups page offers. Forgotten, with any prompt still open, on lock.
  const atUnlock = useRef(account);
  useEffect(() => {
    const { accountKey, mustEnrollTotp } = atUnlock.current;
    void useAccountKey.getState().begin(accountKey, { enrolling: mustEnrollTotp });
    return () => {
      useReauth.getState().finish(false);
      useAccountKey.getState().reset();
    };
  }, []);

  const section = sectionOf(view);
  const go = (target: View) => {
    // The menu opens a section at its start: History's list, not the job last opened.
    if (target.page === 'history') useHistory.getState().closeJob();
    navigate(target);
  };

  return (
    <div className="shell">
      <nav className="side-menu" aria-label="Main menu">
        <div className="side-brand">
          <span className="brand-glyph small" aria-hidden="true" />
          <span>Strongroom</span>
        </div>
        <ul className="side-top">
          {TOP.map((item) => (
            <li key={item.id}>
              <button
                type="button"
                className="side-item"
                aria-current={section === item.id ? 'page' : undefined}
                onClick={() => go(item.view)}
              >
                <span className={`side-icon ${item.id}-icon`} aria-hidden="true" />
                {item.label}
              </button>
            </li>
          ))}
        </ul>
        <ul className="side-bottom">
          <li>
            <button
              type="button"
              className="side-item"
              aria-current={section === 'account' ? 'page' : undefined}
              onClick={() => go({ page: 'account' })}
            >
              <span className="side-icon account-icon" aria-hidden="true" />
              Account
            </button>
          </li>
        </ul>
      </nav>
      <main className="content">
        <Page view={view} account={account} serverIsLocal={serverIsLocal} />
      </main>
      <AccountKitDialog serverIsLocal={serverIsLocal} totpEnabled={account.totpEnabled} />
      <ReauthDialog totpEnabled={account.totpEnabled} />
    </div>
  );
}

function Page({
  view,
  account,
  serverIsLocal,
}: {
  view: View;
  account: AccountView;
  serverIsLocal: boolean;
}) {
  switch (view.page) {
    case 'backups':
      return <BackupsPage />;
    case 'item-form':
      return <ItemForm key={view.itemId ?? 'new'} itemId={view.itemId} />;
    case 'vaults':
      return <VaultsPage />;
    case 'vault-form':
      return <VaultFormPage />;
    case 'guide':
      return <FirstRunGuide />;
    case 'history':
      return <HistoryPage />;
    case 'restore':
      return <RestorePage />;
    case 'account-settings':
      return <AccountSettings account={account} serverIsLocal={serverIsLocal} tab={view.tab} />;
    case 'account':
      return <AccountPage account={account} serverIsLocal={serverIsLocal} />;
  }
}
