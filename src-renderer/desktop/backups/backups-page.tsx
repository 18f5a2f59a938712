import { useEffect, useState } from 'react';
import { ErrorMessage } from '../../components/error-message';
import { AccountKitBanner } from '../account/account-kit-dialog';
import { DeviceKeyWarning } from './device-key-warning';
import { useAccountKey } from '../account/account-key-store';
import { StartFreshOffer } from '../account/start-fresh-offer';
import { useDesktop } from '../store';
import { useFocusOnMount } from '../use-focus-on-mount';
import { useBackups } from './backups-store';
import { VaultDeletionAlerts } from './deletion-alerts';
import { ItemCard } from './item-card';
import { RestoreOffer } from './restore-offer';
import { ServerMovedOffer } from './server-moved-offer';

/** "Today 14:05" must turn into "Yesterday" at midnight without a reload. */
export function useNow(intervalMs = 30_000): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const id = window.setInterval(() => setNow(new Date()), intervalMs);
    return () => window.clearInterval(id);
  }, [intervalMs]);
  return now;
}

/** Backups: every protected item as a card, "Add protected item", and the way to the vaults. */
export function BackupsPage() {
  const navigate = useDesktop((s) => s.navigate);
  const overview = useBackups((s) => s.overview);
  const loadError = useBackups((s) => s.loadError);
  const load = useBackups((s) => s.load);
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const now = useNow();
  const keyStatus = useAccountKey((s) => s.status);
  const enrolling = useAccountKey((s) => s.enrolling);
  const totpEnabled = useDesktop((s) => s.screen.kind === 'unlocked' && s.screen.account.totpEnabled);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section className="page wide-page" aria-labelledby="backups-title">
      <div className="page-head wrap">
        <h1 id="backups-title" ref={heading} tabIndex={-1}>
          Backups
        </h1>
        <div className="actions">
          <button type="button" className="secondary" onClick={() => navigate({ page: 'vaults' })}>
            Storage vaults
          </button>
          <button
            type="button"
            className="primary"
            onClick={() => navigate({ page: 'item-form', itemId: null })}
            disabled={!overview}
          >
            Add protected item
          </button>
        </div>
      </div>

      <AccountKitBanner />
      <DeviceKeyWarning />
      {keyStatus?.state === 'unavailable' && (
        <div className="notice warning" role="status">
          <p>
            {enrolling
              ? 'Your account’s key opens at your next unlock, once two-factor authentication is on: lock Strongroom and unlock it again before you add vaults your account keeps or restore other computers’ backups.'
              : `Strongroom could not open your account’s keys, so vaults your account keeps and other computers’ backups cannot be opened here.${keyStatus.reason ? ` ${keyStatus.reason}` : ''}`}
          </p>
        </div>
      )}
      <StartFreshOffer totpEnabled={totpEnabled} />
      <ServerMovedOffer />
      <RestoreOffer />
      {overview && <VaultDeletionAlerts vaults={overview.vaults} now={now} />}

      {loadError && (
        <div className="load-problem">
          <ErrorMessage error={loadError} />
          <button type="button" className="secondary" onClick={() => void load()}>
            Retry
          </button>
        </div>
      )}
      {!overview && !loadError && <p className="quiet">Loading your backups…</p>}

      {overview && overview.items.length === 0 && (
        <div className="empty-state">
          <h2>Nothing is protected yet</h2>
          <p>
            Choose the folders to back up, where the backups go (a storage vault: a folder, a USB drive or a
            network drive) and when to back up.
          </p>
          <div className="actions">
            <button type="button" className="primary" onClick={() => navigate({ page: 'guide' })}>
              Set up my first backup
            </button>
          </div>
        </div>
      )}

      {overview && overview.items.length > 0 && (
        <div className="item-list" aria-label="Protected items" role="list">
          {overview.items.map((view) => (
            <div role="listitem" key={view.item.id}>
              <ItemCard view={view} now={now} />
            </div>
          ))}
        </div>
      )}
    </section>
  );
}
