import { useId } from 'react';
import { backupsOfferSentence, computersToOffer } from '../account/account-words';
import { useAccountKey } from '../account/account-key-store';
import { useDesktop } from '../store';

/**
 * Restore before any storage vault is here: the way on, not a dead end. "Add storage vault" opens
 * the form; when the account has backups from other computers, their offer on the Backups page
 * (RestoreOffer, which adds their vaults) is named and one click away.
 */
export function NoVaultYet() {
  const navigate = useDesktop((s) => s.navigate);
  const directory = useAccountKey((s) => s.computers);
  const titleId = useId();
  const offered = directory ? computersToOffer(directory.computers, directory.vaults) : [];
  return (
    <section className="empty-state" aria-labelledby={titleId}>
      <h2 id={titleId}>Nothing to restore yet</h2>
      <p>No storage vault has been added, so there are no backups to restore.</p>
      {offered.length > 0 && <p>{backupsOfferSentence(offered)}</p>}
      <div className="actions">
        {offered.length > 0 && (
          <button type="button" className="primary" onClick={() => navigate({ page: 'backups' })}>
            See your backups from other computers
          </button>
        )}
        <button
          type="button"
          className={offered.length > 0 ? 'secondary' : 'primary'}
          onClick={() => navigate({ page: 'vault-form' })}
        >
          Add storage vault
        </button>
      </div>
    </section>
  );
}
