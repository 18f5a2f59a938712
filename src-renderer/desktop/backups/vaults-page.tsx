import { useEffect, useId, useState } from 'react';
import { newJobRecord } from '../../../src-shared/backup-jobs';
import type { AccountStorageUsage, IpcError, VaultView } from '../../../src-shared/ipc-contract';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { ErrorMessage } from '../../components/error-message';
import { FormDialog } from '../../components/form-dialog';
import { PasswordField } from '../../components/password-field';
import { request } from '../request';
import { useFind } from '../restore/find-store';
import { useDesktop } from '../store';
import { useFocusOnMount } from '../use-focus-on-mount';
import { useBackups } from './backups-store';
import { DeletionAlertWarning } from './deletion-alerts';
import { formatBytes, formatDateTime, isEnded, JOB_STATUS_LABELS } from './format';
import { JobProgressView } from './job-progress-view';
import { OpenDriveDialog } from './open-drive-dialog';
import { ServerMovedOffer } from './server-moved-offer';
import { useAccountKey } from '../account/account-key-store';
import { LockedVaults } from '../account/locked-vaults';
import { useSecondFactor } from '../account/use-second-factor';
import { RecoveryKitDialog, RecoveryKitOffer } from './recovery-kit';
import { VaultCreateForm } from './vault-create-form';

/** Storage vaults: where backups go. Reached from Backups. */
export function VaultsPage() {
  const navigate = useDesktop((s) => s.navigate);
  const overview = useBackups((s) => s.overview);
  const loadError = useBackups((s) => s.loadError);
  const load = useBackups((s) => s.load);
  const heading = useFocusOnMount<HTMLHeadingElement>();

  useEffect(() => {
    void load();
  }, [load]);
  // Each vault's number of backups, as its search index counts them (kept current by its jobs).
  const loadStatuses = useFind((s) => s.loadStatuses);
  useEffect(() => {
    void loadStatuses();
  }, [loadStatuses]);
  // Vaults whose password a person typed (made before the account kept keys): offered a random key.
  const [openingDrive, setOpeningDrive] = useState(false);
  const [openedDrive, setOpenedDrive] = useState<string | null>(null);
  const [rekeyOffers, setRekeyOffers] = useState<string[]>([]);
  const [rekeyRound, setRekeyRound] = useState(0);
  useEffect(() => {
    let current = true;
    void request((api) => api.vaultRekeyOffers()).then((r) => {
      if (current) setRekeyOffers(r.ok ? r.value.vaultIds : []);
    });
    return () => {
      current = false;
    };
  }, [rekeyRound]);

  return (
    <section className="page wide-page" aria-labelledby="vaults-title">
      <p className="breadcrumb">
        <button type="button" className="sr-link-button" onClick={() => navigate({ page: 'backups' })}>
          Backups
        </button>
        <span aria-hidden="true"> › </span>Storage vaults
      </p>
      <div className="page-head wrap">
        <h1 id="vaults-title" ref={heading} tabIndex={-1}>
          Storage vaults
        </h1>
        <div className="actions">
          <button type="button" className="secondary" onClick={() => setOpeningDrive(true)}>
            Open a drive with a recovery key…
          </button>
          <button type="button" className="primary" onClick={() => navigate({ page: 'vault-form' })}>
            Add storage vault
          </button>
        </div>
      </div>
      <OpenDriveDialog
        open={openingDrive}
        onClose={(added) => {
          setOpeningDrive(false);
          if (!added) return;
          setOpenedDrive(added.name);
          void load();
          void loadStatuses();
        }}
      />
      <ServerMovedOffer />
      <DeclinedServerMove />
      <LockedVaults onAdded={() => void load()} />
      {openedDrive && (
        <p className="saved" role="status">
          {`“${openedDrive}” was added. Restore can use it now; its search is ready once its catalogue is built.`}
        </p>
      )}
      <p className="lead">
        A storage vault is where backups go: an encrypted store in a folder, on a USB drive or on a network
        drive, or in your account storage on the account server. Several protected items can share one.
      </p>
      {loadError && (
        <div className="load-problem">
          <ErrorMessage error={loadError} />
          <button type="button" className="secondary" onClick={() => void load()}>
            Retry
          </button>
        </div>
      )}
      {!overview && !loadError && <p className="quiet">Loading the storage vaults…</p>}
      {overview && overview.vaults.length === 0 && <p>There is no storage vault yet.</p>}
      {overview && overview.vaults.length > 0 && (
        <div className="item-list" role="list" aria-label="Storage vaults">
          {overview.vaults.map((v) => (
            <div role="listitem" key={v.id}>
              <VaultCard
                vault={v}
                offerRekey={rekeyOffers.includes(v.id)}
                onRekeyed={() => setRekeyRound((n) => n + 1)}
              />
            </div>
          ))}
        </div>
      )}
    </section>
  );
}

/**
 * A declined "This account's server moved" is not asked at every unlock: this is where the person
 * asks for it again.
 */
function DeclinedServerMove() {
  const declined = useAccountKey((s) => s.status?.serverMoveDeclined ?? null);
  const loadKey = useAccountKey((s) => s.load);
  const [error, setError] = useState<IpcError | null>(null);
  if (!declined) return null;
  return (
    <div className="notice" role="note" aria-label="Server move declined">
      <p>
        {`You kept this account's vaults at ${declined.from} when Strongroom offered to move them to ${declined.to}, where you are signed in now.`}
      </p>
      <button
        type="button"
        className="secondary"
        onClick={() =>
          void request((api) => api.accountAskServerMoveAgain()).then(async (r) => {
            if (r.ok) await loadKey();
            else setError(r.error);
          })
        }
      >
        Ask me again
      </button>
      <ErrorMessage error={error} />
    </div>
  );
}

/** "Add storage vault" as a page, followed by the recovery kit offer. */
export function VaultFormPage() {
  const navigate = useDesktop((s) => s.navigate);
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const [created, setCreated] = useState<VaultView | null>(null);
  return (
    <section className="page" aria-labelledby="vault-form-title">
      <h1 id="vault-form-title" ref={heading} tabIndex={-1}>
        {created ? `Storage vault "${created.name}" is ready` : 'Add storage vault'}
      </h1>
      {created ? (
        <RecoveryKitOffer vault={created} onDone={() => navigate({ page: 'vaults' })} />
      ) : (
        <VaultCreateForm onCreated={setCreated} onCancel={() => navigate({ page: 'vaults' })} />
      )}
    </section>
  );
}

type Dialog = 'rename' | 'verify' | 'kit' | 'remove' | 'password' | 'rekey' | null;

/** An account-storage vault's figures and deletion alerts, asked of its server; null for a folder vault. */
/** Whether the unlocked account asks a two-factor code with its password. */
function useTotpEnabled(): boolean {
  return useDesktop((s) => (s.screen.kind === 'unlocked' ? s.screen.account.totpEnabled : false));
}

function useStorageUsage(vault: VaultView): AccountStorageUsage | IpcError | null {
  const storageUsage = useBackups((s) => s.storageUsage);
  const [usage, setUsage] = useState<AccountStorageUsage | IpcError | null>(null);
  const { id, type } = vault;
  useEffect(() => {
    if (type !== 'account') return;
    let current = true;
    void storageUsage(id).then((r) => {
      if (current) setUsage(r.ok ? r.value : r.error);
    });
    return () => {
      current = false;
    };
  }, [storageUsage, id, type]);
  return usage;
}

/** "Account storage used": the account's figure on its server (every repository counts), and the quota. */
function StorageUsageFact({ usage }: { usage: AccountStorageUsage | IpcError | null }) {
  let text = 'Asking the server…';
  if (usage && 'code' in usage) text = `Not available: ${usage.message}`;
  else if (usage && usage.quotaBytes === null) text = `${formatBytes(usage.usedBytes)} (no quota)`;
  else if (usage && usage.quotaBytes !== null) {
    const share =
      usage.quotaBytes > 0 ? Math.min(100, Math.round((usage.usedBytes / usage.quotaBytes) * 100)) : 100;
    text = `${formatBytes(usage.usedBytes)} of ${formatBytes(usage.quotaBytes)} (${share} %)`;
  }
  return (
    <div>
      <dt>Account storage used</dt>
      <dd>{text}</dd>
    </div>
  );
}

function VaultCard({
  vault,
  offerRekey = false,
  onRekeyed,
}: {
  vault: VaultView;
  /** Its password was typed by a person: offer "Replace this vault's password with a random key". */
  offerRekey?: boolean;
  onRekeyed?: () => void;
}) {
  // Account storage on the embedded server lives on this computer: said where it is shown.
  const localServer = useDesktop((s) => s.screen.kind === 'unlocked' && s.screen.serverIsLocal);
  const renameVault = useBackups((s) => s.renameVault);
  const removeVault = useBackups((s) => s.removeVault);
  const enterVaultPassword = useBackups((s) => s.enterVaultPassword);
  const verifyVault = useBackups((s) => s.verifyVault);
  const cancel = useBackups((s) => s.cancel);
  const jobs = useBackups((s) => s.jobs);
  const progress = useBackups((s) => s.progress);
  const filesRates = useBackups((s) => s.filesRates);
  const catalogued = useFind((s) => s.statuses?.find((c) => c.vaultId === vault.id) ?? null);
  const titleId = useId();
  const ids = {
    name: useId(),
    password: useId(),
    readData: useId(),
    accountPassword: useId(),
    error: useId(),
  };
  const [dialog, setDialog] = useState<Dialog>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const [name, setName] = useState(vault.name);
  const [password, setPassword] = useState('');
  const [readData, setReadData] = useState(false);
  const [verifyJobId, setVerifyJobId] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [rekeyed, setRekeyed] = useState<string | null>(null);
  const [accountPassword, setAccountPassword] = useState('');
  const second = useSecondFactor(useTotpEnabled());
  const usage = useStorageUsage(vault);

  const open = (d: Dialog) => {
    setError(null);
    setSaved(null);
    setName(vault.name);
    setPassword('');
    setAccountPassword('');
    second.clear();
    setDialog(d);
  };
  const close = () => {
    if (!busy) setDialog(null);
  };
  const run = async (action: () => Promise<{ ok: boolean; error?: IpcError }>, after?: () => void) => {
    setBusy(true);
    setError(null);
    const result = await action();
    setBusy(false);
    if (result.ok) {
      setDialog(null);
      after?.();
    } else setError(result.error ?? null);
  };

  // The verify started here, or one heard of by event (started before this page was opened).
  const heardOf = Object.values(jobs)
    .filter((j) => j.kind === 'verify' && j.vaultId === vault.id)
    .sort((a, b) => b.queuedAt.localeCompare(a.queuedAt))[0];
  const verifyJob = verifyJobId ? (jobs[verifyJobId] ?? null) : (heardOf ?? null);
  const shownVerifyId = verifyJobId ?? verifyJob?.id ?? null;
  const verifyRunning = shownVerifyId !== null && (!verifyJob || !isEnded(verifyJob.status));

  return (
    <article className="item-card" aria-labelledby={titleId}>
      <div className="card-head">
        <h2 id={titleId}>{vault.name}</h2>
        <div className="card-actions">
          {!vault.passwordAvailable && (
            <button type="button" className="primary" onClick={() => open('password')}>
              Enter password…
            </button>
          )}
          <button type="button" className="secondary" disabled={verifyRunning} onClick={() => open('verify')}>
            Verify…
          </button>
          <button type="button" className="secondary" onClick={() => open('kit')}>
            Save recovery kit…
          </button>
          <button
            type="button"
            className="secondary"
            aria-label={`Rename ${vault.name}`}
            onClick={() => open('rename')}
          >
            Rename…
          </button>
          <button
            type="button"
            className="secondary"
            aria-label={`Remove ${vault.name}`}
            onClick={() => open('remove')}
          >
            Remove…
          </button>
        </div>
      </div>
      {!vault.passwordAvailable && (
        <p className="notice warning" role="status">
          The password of this vault is not kept on this computer. Scheduled backups to it wait until you
          enter it (Enter password…); Strongroom forgets it again when it locks.
        </p>
      )}
      {vault.openedWithOtherAccountKey && (
        <p
          className="notice warning"
          role="note"
          aria-label={`${vault.name} was opened with another account’s key`}
        >
          This vault was opened with another account’s recovery key. Whoever holds that key can open it and
          read everything backed up to it: back up only what you would give them.
        </p>
      )}
      {offerRekey && (
        <div className="notice" role="note" aria-label={`A random key for ${vault.name}`}>
          <p>
            This vault still uses the password it was made with. Give it a random key that your account keeps
            for you, so that nobody who knows or finds the old password can open it.
          </p>
          <button type="button" className="secondary" disabled={verifyRunning} onClick={() => open('rekey')}>
            Replace this vault’s password with a random key…
          </button>
        </div>
      )}
      {rekeyed && (
        <p className="saved" role="status">
          {rekeyed}
        </p>
      )}
      {usage && !('code' in usage) && (
        <DeletionAlertWarning vaultName={vault.name} usage={usage} now={new Date()} />
      )}
      <dl className="card-facts">
        <div>
          <dt>Type</dt>
          <dd>
            {vault.type === 'account'
              ? localServer
                ? 'Strongroom account storage, on this computer (not off-site)'
                : 'Strongroom account storage'
              : 'Folder or drive'}
          </dd>
        </div>
        <div>
          <dt>Location</dt>
          <dd className="mono path-text">{vault.location}</dd>
        </div>
        {vault.type === 'account' && <StorageUsageFact usage={usage} />}
        <div>
          <dt>Vault id</dt>
          <dd className="mono">{vault.repositoryId.slice(0, 16)}</dd>
        </div>
        <div>
          <dt>Password</dt>
          <dd>
            {vault.passwordStored
              ? 'Kept on this computer'
              : vault.passwordAvailable
                ? 'Entered for this session'
                : 'Not kept on this computer'}
          </dd>
        </div>
        <div>
          <dt>Used by</dt>
          <dd>
            {vault.itemCount === 0
              ? 'No protected item'
              : vault.itemCount === 1
                ? '1 protected item'
                : `${vault.itemCount} protected items`}
          </dd>
        </div>
        {catalogued?.state === 'ready' && (
          <div>
            <dt>Backups</dt>
            <dd>{catalogued.snapshots === 1 ? '1 backup' : `${catalogued.snapshots} backups`}</dd>
          </div>
        )}
        <div>
          <dt>Added</dt>
          <dd>{formatDateTime(vault.createdAt)}</dd>
        </div>
      </dl>

      {shownVerifyId && verifyRunning && (
        <JobProgressView
          job={
            // Shown for the moment between vault:verify answering and its first onJobChanged.
            verifyJob ??
            newJobRecord({
              id: shownVerifyId,
              kind: 'verify',
              itemId: null,
              vaultId: vault.id,
              itemName: null,
              vaultName: vault.name,
              trigger: 'manual',
              status: 'running',
              queuedAt: new Date(0).toISOString(),
            })
          }
          progress={progress[shownVerifyId] ?? null}
          label={`Verify progress of ${vault.name}`}
          filesRate={filesRates[shownVerifyId]?.perSecond ?? null}
          onCancel={async () => {
            const result = await cancel(shownVerifyId);
            return result.ok ? null : result.error;
          }}
        />
      )}
      {verifyJob && isEnded(verifyJob.status) && (
        <p className={verifyJob.status === 'success' ? 'saved' : 'notice warning'} role="status">
          Verify: {JOB_STATUS_LABELS[verifyJob.status]}
          {verifyJob.message ? `. ${verifyJob.message}` : ''}
        </p>
      )}
      {saved && (
        <p className="saved" role="status">
          Recovery kit saved to <span className="mono">{saved}</span>.
        </p>
      )}
      {dialog === null && <ErrorMessage error={error} />}

      <FormDialog
        open={dialog === 'rename'}
        title={`Rename ${vault.name}`}
        submitLabel={busy ? 'Saving…' : 'Rename'}
        busy={busy}
        onSubmit={() => void run(() => renameVault(vault.id, name.trim()))}
        onCancel={close}
      >
        <div className="field">
          <label htmlFor={ids.name}>Vault name</label>
          <input id={ids.name} value={name} maxLength={80} onChange={(e) => setName(e.target.value)} />
        </div>
        <ErrorMessage error={error} />
      </FormDialog>

      <FormDialog
        open={dialog === 'verify'}
        title={`Verify ${vault.name}`}
        submitLabel={busy ? 'Starting…' : 'Verify'}
        busy={busy}
        onSubmit={() =>
          void (async () => {
            setBusy(true);
            setError(null);
            const result = await verifyVault(vault.id, readData);
            setBusy(false);
            if (result.ok) {
              setVerifyJobId(result.value.jobId);
              setDialog(null);
            } else setError(result.error);
          })()
        }
        onCancel={close}
      >
        <fieldset className="field choice-group">
          <legend>How thoroughly</legend>
          <label className="radio">
            <input type="radio" name={ids.readData} checked={!readData} onChange={() => setReadData(false)} />
            Quick: check the vault&apos;s structure (seconds to minutes)
          </label>
          <label className="radio">
            <input type="radio" name={ids.readData} checked={readData} onChange={() => setReadData(true)} />
            Read all data: decrypt and check every backed-up byte (as long as a full restore)
          </label>
        </fieldset>
        <ErrorMessage error={error} />
      </FormDialog>

      <FormDialog
        open={dialog === 'password'}
        title={`Enter the password of ${vault.name}`}
        submitLabel={busy ? 'Checking…' : 'Use this password'}
        busy={busy}
        onSubmit={() =>
          void run(
            () => enterVaultPassword(vault.id, password),
            () => setPassword(''),
          )
        }
        onCancel={close}
      >
        <p>Strongroom keeps it only until it locks; scheduled backups to this vault can run meanwhile.</p>
        <PasswordField
          id={ids.password}
          label="Vault password"
          autoComplete="current-password"
          value={password}
          onChange={setPassword}
        />
        <ErrorMessage error={error} />
      </FormDialog>

      <RecoveryKitDialog
        vault={vault}
        open={dialog === 'kit'}
        onClose={(path) => {
          setDialog(null);
          if (path) setSaved(path);
        }}
      />

      <FormDialog
        open={dialog === 'rekey'}
        title={`Replace the password of ${vault.name}?`}
        submitLabel={busy ? 'Replacing…' : 'Replace with a random key'}
        busy={busy}
        onSubmit={() =>
          void (async () => {
            if (!accountPassword) return setError({ code: 'bad_request', message: 'Enter your password.' });
            const wrongCode = second.problem();
            if (wrongCode) return setError({ code: 'bad_request', message: wrongCode });
            setBusy(true);
            setError(null);
            const input = { vaultId: vault.id, password: accountPassword, ...second.input() };
            const result = await request((api) => api.vaultRekey(input));
            setBusy(false);
            setAccountPassword('');
            second.clear();
            if (!result.ok) return setError(result.error);
            setDialog(null);
            setRekeyed(`“${vault.name}” now has a random key, kept on this computer and by your account.`);
            onRekeyed?.();
          })()
        }
        onCancel={close}
      >
        <p>
          Strongroom gives this vault a new random password, has your account keep it, and only then removes
          the old one. Scheduled backups, Restore and your other computers go on as before.
        </p>
        <p>
          Your old password and any recovery kit you saved for this vault will no longer open it. Your account
          password and your current account recovery kit do.
        </p>
        <PasswordField
          id={ids.accountPassword}
          label="Your account password"
          autoComplete="current-password"
          value={accountPassword}
          onChange={(v) => {
            setAccountPassword(v);
            setError(null);
          }}
        />
        {second.field({ errorId: ids.error, invalid: Boolean(error), onEdit: () => setError(null) })}
        <ErrorMessage error={error} />
      </FormDialog>

      <ConfirmDialog
        open={dialog === 'remove'}
        title={`Remove ${vault.name}?`}
        confirmLabel={busy ? 'Removing…' : 'Remove'}
        danger
        busy={busy}
        onConfirm={() => void run(() => removeVault(vault.id))}
        onCancel={close}
      >
        {vault.type === 'account' ? (
          <p>
            Strongroom forgets this vault. The backups in it are not deleted: they stay on the server (
            <span className="mono">{vault.location}</span>), and you can add the vault again later with
            &quot;Open a repository already on the server&quot; and its password.
          </p>
        ) : (
          <p>
            Strongroom forgets this vault. The backups in it are not deleted: they stay in{' '}
            <span className="mono">{vault.location}</span>, and you can add the vault again later with
            &quot;Open the vault already in this folder&quot; and its password.
          </p>
        )}
        {vault.itemCount > 0 && <p>Protected items still back up to it: change or remove them first.</p>}
        <ErrorMessage error={error} />
      </ConfirmDialog>
    </article>
  );
}
