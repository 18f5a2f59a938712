import { useRef } from 'react';
import type { KeyboardEvent } from 'react';
import type { AccountView } from '../../src-shared/ipc-contract';
import { AccountTab } from './account-tab';
import { AutoLockTab } from './auto-lock-tab';
import { useDesktop } from './store';
import type { SettingsTab } from './store';
import { TwoFactorTab } from './two-factor-tab';
import { useFocusOnMount } from './use-focus-on-mount';

const TABS: { id: SettingsTab; label: string }[] = [
  { id: 'account', label: 'Account' },
  { id: 'two-factor', label: 'Two-factor authentication' },
  { id: 'auto-lock', label: 'Auto-lock' },
];

/** "Change account settings": the account, two-factor authentication and auto-lock, as tabs. */
export function AccountSettings({
  account,
  serverIsLocal,
  tab,
}: {
  account: AccountView;
  serverIsLocal: boolean;
  tab: SettingsTab;
}) {
  const navigate = useDesktop((s) => s.navigate);
  const tabRefs = useRef(new Map<SettingsTab, HTMLButtonElement>());
  const heading = useFocusOnMount<HTMLHeadingElement>();

  const select = (next: SettingsTab, focus = false) => {
    navigate({ page: 'account-settings', tab: next });
    if (focus) tabRefs.current.get(next)?.focus();
  };

  // The WAI-ARIA tabs pattern: arrows move between tabs, Home and End jump to the ends.
  const onKeyDown = (event: KeyboardEvent) => {
    const at = TABS.findIndex((t) => t.id === tab);
    const last = TABS.length - 1;
    const to =
      event.key === 'ArrowRight'
        ? (at + 1) % TABS.length
        : event.key === 'ArrowLeft'
          ? (at + last) % TABS.length
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? last
              : null;
    if (to === null) return;
    event.preventDefault();
    select(TABS[to]!.id, true);
  };

  return (
    <section className="page" aria-labelledby="settings-title">
      <div className="page-head">
        <h1 id="settings-title" ref={heading} tabIndex={-1}>
          Account settings
        </h1>
        <button type="button" className="secondary" onClick={() => navigate({ page: 'account' })}>
          Done
        </button>
      </div>
      <div className="tabs" role="tablist" aria-label="Account settings" onKeyDown={onKeyDown}>
        {TABS.map((t) => (
          <button
            key={t.id}
            ref={(el) => {
              if (el) tabRefs.current.set(t.id, el);
              else tabRefs.current.delete(t.id);
            }}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={t.id === tab}
            aria-controls={`panel-${t.id}`}
            tabIndex={t.id === tab ? 0 : -1}
            className="tab"
            onClick={() => select(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div
        className="tab-panel"
        role="tabpanel"
        id={`panel-${tab}`}
        aria-labelledby={`tab-${tab}`}
        tabIndex={0}
      >
        {tab === 'account' && <AccountTab account={account} serverIsLocal={serverIsLocal} />}
        {tab === 'two-factor' && <TwoFactorTab account={account} />}
        {tab === 'auto-lock' && <AutoLockTab />}
      </div>
    </section>
  );
}
