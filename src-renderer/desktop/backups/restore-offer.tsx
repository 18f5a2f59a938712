import { useId, useState } from 'react';
import type { ComputerView, DirectoryVaultView, IpcError } from '../../../src-shared/ipc-contract';
import { ErrorMessage } from '../../components/error-message';
import { FormDialog } from '../../components/form-dialog';
import { PasswordField } from '../../components/password-field';
import { backupsOfferSentence, computersToOffer, connectDriveTitle } from '../account/account-words';
import { useAccountKey } from '../account/account-key-store';
import { useSecondFactor } from '../account/use-second-factor';
import { request } from '../request';
import { useDesktop } from '../store';
import { accountErrorText } from '../wording';
import { useBackups } from './backups-store';
import { pathProblem } from './form-rules';
import { PathField } from './path-list-input';

/**
 * A new computer (or one that lost its settings): the account's other computers have backups
 * this one does not have. "Restore files" adds their vaults (account storage at once; a drive
 * vault once its folder is connected), and "Continue laptop's backups on this computer" takes
 * over that computer's items, schedules and vaults.
 */
export function RestoreOffer() {
  const navigate = useDesktop((s) => s.navigate);
  const status = useAccountKey((s) => s.status);
  const directory = useAccountKey((s) => s.computers);
  const computersError = useAccountKey((s) => s.computersError);
  const loadComputers = useAccountKey((s) => s.loadComputers);
  const loadKey = useAccountKey((s) => s.load);
  const loadBackups = useBackups((s) => s.load);
  const titleId = useId();
  const [dismissed, setDismissed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  // Drive vaults waiting for their folder, after "Restore files" or a take-over.
  const [drives, setDrives] = useState<DirectoryVaultView[] | null>(null);
  const [connected, setConnected] = useState<string[]>([]);
  const [takingOver, setTakingOver] = useState<ComputerView | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // Computers taken over in this session: their offer is done even if their profile stays.
  const [tookOver, setTookOver] = useState<string[]>([]);

  const refresh = async () => {
    await Promise.all([loadBackups(), loadKey(), loadComputers()]);
  };

  /** Drive vaults now on this computer whose folder is not connected yet. */
  const waitingDrives = (extra: DirectoryVaultView[]) => {
    const byId = new Map<string, DirectoryVaultView>();
    for (const v of extra) byId.set(v.vaultId, v);
    for (const v of useAccountKey.getState().computers?.vaults ?? [])
      if (v.onThisComputer && v.needsFolder) byId.set(v.vaultId, v);
    return [...byId.values()];
  };

  const restoreFiles = async () => {
    if (!directory) return;
    const vaultIds = directory.vaults.filter((v) => !v.onThisComputer).map((v) => v.vaultId);
    setBusy(true);
    setError(null);
    const result = await request((api) => api.accountAddVaults({ vaultIds }));
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    await refresh();
    setDrives(waitingDrives(result.value.needFolder));
    const names = result.value.added.map((v) => v.name);
    setNotice(
      names.length > 0
        ? `Added ${names.map((n) => `'${n}'`).join(', ')}: their backups are in Restore.`
        : 'Nothing more to add.',
    );
  };

  // The computers are read only when the unlock offered a restore; the offer then stays while
  // something is left to restore or continue, so "Continue …" remains after "Restore files".
  const offered = directory
    ? computersToOffer(directory.computers, directory.vaults).filter((c) => !tookOver.includes(c.computerId))
    : [];
  const showOffer = !dismissed && directory !== null && offered.length > 0;
  const missingVaults = directory ? directory.vaults.some((v) => !v.onThisComputer) : false;
  const continuable = offered.filter((c) => c.hasProfile && c.itemCount > 0);
  const pendingDrives = (drives ?? []).filter((d) => !connected.includes(d.vaultId));

  if (!showOffer && drives === null && !notice && !(computersError && status?.offerRestore)) return null;

  return (
    <section className="notice restore-offer" aria-labelledby={titleId}>
      <h2 id={titleId}>Your backups from other computers</h2>
      {computersError && status?.offerRestore && (
        <>
          <ErrorMessage error={computersError} message={accountErrorText(computersError)} />
          <button type="button" className="secondary" onClick={() => void loadComputers()}>
            Retry
          </button>
        </>
      )}
      {showOffer && directory && (
        <>
          <p>{backupsOfferSentence(offered)}</p>
          <div className="actions">
            {missingVaults && (
              <button type="button" className="primary" disabled={busy} onClick={() => void restoreFiles()}>
                {busy ? 'Adding the vaults…' : 'Restore files'}
              </button>
            )}
            {continuable.map((c) => (
              <button
                key={c.computerId}
                type="button"
                className="secondary"
                disabled={busy}
                onClick={() => {
                  setError(null);
                  setTakingOver(c);
                }}
              >
                {`Continue ${c.name}'s backups on this computer`}
              </button>
            ))}
            <button
              type="button"
              className="sr-link-button"
              disabled={busy}
              onClick={() => setDismissed(true)}
            >
              Not now
            </button>
          </div>
        </>
      )}
      <ErrorMessage error={error} message={error ? accountErrorText(error) : undefined} />
      {notice && (
        <p className="sr-success" role="status">
          {notice}
        </p>
      )}
      {pendingDrives.map((vault) => (
        <ConnectDrive
          key={vault.vaultId}
          vault={vault}
          onConnected={() => {
            setConnected((c) => [...c, vault.vaultId]);
            setNotice(`'${vault.name}' is connected: its backups are in Restore.`);
            void refresh();
          }}
        />
      ))}
      {drives !== null && pendingDrives.length === 0 && (
        <div className="actions">
          <button type="button" className="primary" onClick={() => navigate({ page: 'restore' })}>
            Open Restore
          </button>
        </div>
      )}
      {takingOver && directory && (
        <TakeOverDialog
          computer={takingOver}
          missingVaultIds={directory.vaults
            .filter((v) => !v.onThisComputer && takingOver.vaultIds.includes(v.vaultId))
            .map((v) => v.vaultId)}
          onClose={() => setTakingOver(null)}
          onNeedDrives={async (needFolder) => {
            const name = takingOver.name;
            setTakingOver(null);
            await refresh();
            setDrives(waitingDrives(needFolder));
            setNotice(
              `Connect ${name}'s drive below first, then choose "Continue ${name}'s backups on this computer" again.`,
            );
          }}
          onDone={async (itemCount) => {
            const name = takingOver.name;
            setTookOver((t) => [...t, takingOver.computerId]);
            setTakingOver(null);
            await refresh();
            setDrives(waitingDrives([]));
            setNotice(
              `${name}'s backups continue on this computer: ${itemCount === 1 ? '1 protected item' : `${itemCount} protected items`}.`,
            );
          }}
        />
      )}
    </section>
  );
}

/** "Connect the drive that holds 'USB backup'": its folder here, checked against the vault's id by main. */
function ConnectDrive({ vault, onConnected }: { vault: DirectoryVaultView; onConnected(): void }) {
  const titleId = useId();
  const pathId = useId();
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);

  const connect = async () => {
    const wrong = pathProblem(path);
    if (wrong) {
      setError({ code: 'bad_request', message: wrong });
      document.getElementById(pathId)?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    const result = await request((api) =>
      api.accountConnectDrive({ vaultId: vault.vaultId, path: path.trim() }),
    );
    setBusy(false);
    if (result.ok) onConnected();
    else setError(result.error);
  };

  return (
    <section className="connect-drive" aria-labelledby={titleId}>
      <h3 id={titleId}>{connectDriveTitle(vault)}</h3>
      <p>
        Plug in the drive (or mount the network folder), then choose the vault&apos;s folder on it.
        {vault.locationHint && (
          <>
            {' '}
            It was last at <span className="mono">{vault.locationHint}</span>.
          </>
        )}
      </p>
      <PathField
        id={pathId}
        label="Folder of the vault"
        value={path}
        onChange={(v) => {
          setPath(v);
          setError(null);
        }}
        purpose="folder"
        pickerTitle={connectDriveTitle(vault)}
        placeholder={vault.locationHint ?? '/media/me/Backup'}
        invalid={Boolean(error)}
      />
      <ErrorMessage error={error} message={error ? accountErrorText(error) : undefined} />
      <div className="actions">
        <button type="button" className="primary" disabled={busy} onClick={() => void connect()}>
          {busy ? 'Opening the vault…' : 'Connect'}
        </button>
      </div>
    </section>
  );
}

/**
 * "Continue laptop's backups on this computer": its items, schedules and vaults become this
 * computer's. Folders that do not exist here are asked for (main answers them in missingPaths and
 * takes nothing until each has a place); "Stop backups from laptop" ends that computer's access.
 */
function TakeOverDialog({
  computer,
  missingVaultIds,
  onClose,
  onNeedDrives,
  onDone,
}: {
  computer: ComputerView;
  /** That computer's vaults not on this one yet: added first (a drive then needs its folder). */
  missingVaultIds: string[];
  onClose(): void;
  onNeedDrives(needFolder: DirectoryVaultView[]): Promise<void>;
  onDone(itemCount: number): Promise<void>;
}) {
  const revokeId = useId();
  const revokeHintId = useId();
  const [revokeOld, setRevokeOld] = useState(false);
  const totpEnabled = useDesktop((s) =>
    s.screen.kind === 'unlocked' ? s.screen.account.totpEnabled : false,
  );
  const passwordId = useId();
  const errorId = useId();
  const [password, setPassword] = useState('');
  const second = useSecondFactor(totpEnabled);
  const [vaultsAdded, setVaultsAdded] = useState(false);
  const [missing, setMissing] = useState<string[]>([]);
  const [mapTo, setMapTo] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const fieldIds = useId();

  const submit = async () => {
    for (const from of missing) {
      const wrong = pathProblem(mapTo[from] ?? '');
      if (wrong) {
        setError({ code: 'bad_request', message: `Where ${from} is on this computer: ${wrong}` });
        return;
      }
    }
    if (revokeOld) {
      if (!password) {
        setError({
          code: 'bad_request',
          message: `Enter your password to stop backups from ${computer.name}.`,
        });
        return;
      }
      const wrongCode = second.problem();
      if (wrongCode) {
        setError({ code: 'bad_request', message: wrongCode });
        return;
      }
    }
    const pathMap = missing.map((from) => ({ from, to: (mapTo[from] ?? '').trim() }));
    setBusy(true);
    setError(null);
    // Its vaults first: account storage is added at once, a drive needs its folder before
    // anything can be taken over.
    if (missingVaultIds.length > 0 && !vaultsAdded) {
      const added = await request((api) => api.accountAddVaults({ vaultIds: missingVaultIds }));
      if (!added.ok) {
        setBusy(false);
        setError(added.error);
        return;
      }
      if (added.value.needFolder.length > 0) {
        await onNeedDrives(added.value.needFolder);
        return;
      }
      setVaultsAdded(true);
    }
    const result = await request((api) =>
      api.accountTakeOver({
        computerId: computer.computerId,
        pathMap,
        revokeOld,
        ...(revokeOld ? { password, ...second.input() } : {}),
      }),
    );
    if (!result.ok) {
      setBusy(false);
      setError(result.error);
      // A code is good once; a missing folder is answered before the password is checked.
      second.clear();
      return;
    }
    const stillMissing = result.value.missingPaths;
    if (stillMissing.length > 0) {
      setBusy(false);
      setMissing((before) => [...new Set([...before, ...stillMissing])]);
      setError({
        code: 'bad_request',
        message:
          stillMissing.length === 1
            ? `One folder ${computer.name} backed up does not exist on this computer. Choose where it is here.`
            : `${stillMissing.length} folders ${computer.name} backed up do not exist on this computer. Choose where each is here.`,
      });
      return;
    }
    await onDone(result.value.items.length);
    setBusy(false);
  };

  return (
    <FormDialog
      open
      title={`Continue ${computer.name}'s backups on this computer`}
      submitLabel={busy ? 'Taking over…' : 'Continue here'}
      busy={busy}
      onSubmit={() => void submit()}
      onCancel={onClose}
    >
      <p>
        {`${computer.name}'s protected items (${computer.itemCount}), their schedules and its vaults become this computer's. Their next backups run here.`}
      </p>
      {missing.map((from, i) => (
        <PathField
          key={from}
          id={`${fieldIds}-${i}`}
          label={`Folder for ${from}`}
          value={mapTo[from] ?? ''}
          onChange={(v) => {
            setMapTo((m) => ({ ...m, [from]: v }));
            setError(null);
          }}
          purpose="folder"
          pickerTitle={`Where is ${from} on this computer?`}
          hint={`${computer.name} backed up ${from}, which does not exist on this computer.`}
        />
      ))}
      <div className="field checkbox top">
        <input
          id={revokeId}
          type="checkbox"
          checked={revokeOld}
          aria-describedby={revokeHintId}
          onChange={(e) => setRevokeOld(e.target.checked)}
        />
        <label htmlFor={revokeId}>{`Stop backups from ${computer.name}`}</label>
      </div>
      <p className="hint indent" id={revokeHintId}>
        {`${computer.name} is signed out of this account and can no longer back up to it or open its keys. Choose this when ${computer.name} is gone, sold or broken.`}
      </p>
      {revokeOld && (
        <>
          <PasswordField
            id={passwordId}
            label="Your password"
            autoComplete="current-password"
            value={password}
            onChange={(v) => {
              setPassword(v);
              setError(null);
            }}
          />
          {second.field({ errorId, invalid: Boolean(error), onEdit: () => setError(null) })}
        </>
      )}
      <ErrorMessage id={errorId} error={error} message={error ? accountErrorText(error) : undefined} />
    </FormDialog>
  );
}
