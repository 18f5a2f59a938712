import { useId, useState } from 'react';
import type { IpcError, VaultView } from '../../../src-shared/ipc-contract';
import { ErrorMessage } from '../../components/error-message';
import { FormDialog } from '../../components/form-dialog';
import { PasswordField } from '../../components/password-field';
import { request } from '../request';
import { pathProblem } from './form-rules';
import { PathField } from './path-list-input';

/**
 * "Open a drive with a recovery key": a drive vault this account's server does not hold (another
 * account wrote it, or its server is gone) opens with the account recovery key of the account that
 * wrote it, or that account's password where the drive carries its password wrap. The key goes to
 * main only; the field is cleared after every attempt.
 */
export function OpenDriveDialog({
  open,
  onClose,
}: {
  open: boolean;
  onClose(added: VaultView | null): void;
}) {
  const ids = { folder: useId(), key: useId(), error: useId(), kind: useId() };
  const [folder, setFolder] = useState('');
  const [kind, setKind] = useState<'recovery' | 'password'>('recovery');
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);

  const close = (added: VaultView | null) => {
    setSecret('');
    setError(null);
    onClose(added);
  };

  const submit = async () => {
    const problem = pathProblem(folder.trim());
    if (problem) return setError({ code: 'bad_request', message: problem });
    if (!secret.trim()) {
      return setError({
        code: 'bad_request',
        message: kind === 'recovery' ? 'Enter the account recovery key.' : 'Enter the account password.',
      });
    }
    setBusy(true);
    setError(null);
    const input =
      kind === 'recovery'
        ? { path: folder.trim(), recoveryKey: secret }
        : { path: folder.trim(), accountPassword: secret };
    const result = await request((api) => api.vaultOpenDrive(input));
    setBusy(false);
    setSecret('');
    if (result.ok) close(result.value);
    else setError(result.error);
  };

  return (
    <FormDialog
      open={open}
      title="Open a drive with a recovery key"
      submitLabel={busy ? 'Opening…' : 'Open the drive'}
      busy={busy}
      onSubmit={() => void submit()}
      onCancel={() => close(null)}
    >
      <p>
        For a drive whose account server does not have it: another account wrote it, or its server is gone.
        Strongroom opens it with the account recovery kit of the account that wrote it, adds it to this
        computer with a key of its own, and you can restore from it and search it.
      </p>
      <PathField
        id={ids.folder}
        label="Vault folder on the drive"
        value={folder}
        onChange={(v) => {
          setFolder(v);
          setError(null);
        }}
        purpose="folder"
        pickerTitle="Choose the vault folder on the drive"
        placeholder="/media/usb/strongroom"
      />
      <fieldset className="field choice-group">
        <legend>Open it with</legend>
        <label className="radio">
          <input
            type="radio"
            name={ids.kind}
            checked={kind === 'recovery'}
            onChange={() => {
              setKind('recovery');
              setSecret('');
            }}
          />
          The account recovery key
        </label>
        <label className="radio">
          <input
            type="radio"
            name={ids.kind}
            checked={kind === 'password'}
            onChange={() => {
              setKind('password');
              setSecret('');
            }}
          />
          The account password (only if this drive was set to open with it)
        </label>
      </fieldset>
      {kind === 'recovery' ? (
        <div className="field">
          <label htmlFor={ids.key}>Account recovery key</label>
          <input
            id={ids.key}
            className="mono"
            autoComplete="off"
            spellCheck={false}
            value={secret}
            placeholder="XXXX-XXXX-…"
            onChange={(e) => {
              setSecret(e.target.value);
              setError(null);
            }}
          />
        </div>
      ) : (
        <PasswordField
          id={ids.key}
          label="Account password"
          autoComplete="current-password"
          value={secret}
          onChange={(v) => {
            setSecret(v);
            setError(null);
          }}
        />
      )}
      <ErrorMessage id={ids.error} error={error} />
    </FormDialog>
  );
}
