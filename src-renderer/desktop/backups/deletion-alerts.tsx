import { useEffect, useState } from 'react';
import { UNSAFE_DISPLAY_CHARS, type StorageDeletionAlert } from '../../../src-shared/http-api';
import type { AccountStorageUsage, VaultView } from '../../../src-shared/ipc-contract';
import { CopyButton } from '../../components/copy-button';
import { useBackups } from './backups-store';
import { formatBytes, formatDateTime } from './format';

const DAY_MS = 86_400_000;

/** A device name as the server keeps it, with any control or text-direction character shown as its code. */
const visible = (text: string) =>
  text.replace(
    UNSAFE_DISPLAY_CHARS,
    (c) => `⟨U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`,
  );

/** What was deleted, in the words of vaults and backups (the server's kinds, src-shared/http-api/storage.ts). */
export function deletedWords(a: StorageDeletionAlert): string {
  switch (a.kind) {
    case 'config':
      return 'its settings file, without which none of its backups can be read';
    case 'keys': {
      const left = a.repositoryFiles - a.deletedFiles;
      return left <= 0 ? 'its key, without which none of its backups can be read' : `a key (${left} left)`;
    }
    case 'snapshots':
      return `${a.deletedFiles} of ${a.repositoryFiles} backups, within a day`;
    case 'index':
      return `${formatBytes(a.deletedBytes)} of the list of what its backups hold, within a day`;
    case 'bytes':
      return `${formatBytes(a.deletedBytes)} of its ${formatBytes(a.repositoryBytes)}, within a day`;
  }
}

/**
 * The server's alerts about files deleted from an account-storage vault, with the way to put
 * them back: the web panel's Storage page, shown as an address because this window opens none.
 */
export function DeletionAlertWarning({
  vaultName,
  usage,
  now,
}: {
  vaultName: string;
  usage: AccountStorageUsage;
  now: Date;
}) {
  // A small vault's key or settings file is also a burst of its bytes: the one deletion, said once.
  const kindAt = new Set(usage.deletionAlerts.filter((a) => a.kind !== 'bytes').map((a) => a.at));
  const alerts = usage.deletionAlerts.filter((a) => a.kind !== 'bytes' || !kindAt.has(a.at));
  if (alerts.length === 0) return null;
  // Files deleted in a burst may be a day older than the alert; counted from then, to be safe.
  const oldest = Math.min(
    ...alerts.map((a) => Date.parse(a.at) - (a.kind === 'keys' || a.kind === 'config' ? 0 : DAY_MS)),
  );
  const daysLeft = Math.floor((oldest + usage.graceDays * DAY_MS - now.getTime()) / DAY_MS);
  return (
    <div className="notice warning deletion-alert" role="alert">
      <p>
        <strong>Files of &quot;{vaultName}&quot; were deleted on the server:</strong>
      </p>
      <ul>
        {alerts.map((a) => (
          <li key={`${a.kind}-${a.at}`}>
            {deletedWords(a)} ({formatDateTime(a.at, now)}
            {a.device ? `, by the device "${visible(a.device)}"` : ''})
          </li>
        ))}
      </ul>
      <p>
        {daysLeft > 0
          ? `If this was not you, restore them in the web panel’s Storage page within ${daysLeft === 1 ? '1 day' : `${daysLeft} days`}: `
          : 'They may no longer be restorable; see the web panel’s Storage page: '}
        open <span className="mono selectable">{usage.panelStorageUrl}</span> in your web browser and sign in.
        {alerts.some((a) => a.kind === 'keys' || a.kind === 'config') &&
          ' Until they are back, backups to this vault may fail.'}
      </p>
      <CopyButton text={usage.panelStorageUrl} label="Copy the address" />
    </div>
  );
}

/** The warnings of every account-storage vault whose repository has an alert, for the Backups page. */
export function VaultDeletionAlerts({ vaults, now }: { vaults: VaultView[]; now: Date }) {
  const storageUsage = useBackups((s) => s.storageUsage);
  const [usages, setUsages] = useState<Record<string, AccountStorageUsage>>({});
  const accountVaults = vaults.filter((v) => v.type === 'account');
  const ids = accountVaults.map((v) => v.id).join(',');
  useEffect(() => {
    let current = true;
    for (const id of ids ? ids.split(',') : []) {
      // A vault whose server cannot be asked shows nothing here; Storage vaults says why.
      void storageUsage(id).then((r) => {
        if (current && r.ok) setUsages((u) => ({ ...u, [id]: r.value }));
      });
    }
    return () => {
      current = false;
    };
  }, [storageUsage, ids]);
  return (
    <>
      {accountVaults.map((v) => {
        const usage = usages[v.id];
        return usage ? <DeletionAlertWarning key={v.id} vaultName={v.name} usage={usage} now={now} /> : null;
      })}
    </>
  );
}
