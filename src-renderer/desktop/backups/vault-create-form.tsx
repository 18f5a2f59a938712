import { useId, useState, type FormEvent } from 'react';
import type { IpcError, VaultView } from '../../../src-shared/ipc-contract';
import { ErrorMessage } from '../../components/error-message';
import { PasswordField } from '../../components/password-field';
import { useDesktop } from '../store';
import { useBackups } from './backups-store';
import { pathProblem, repositoryNameProblem } from './form-rules';
import { PathField } from './path-list-input';

type Field = 'name' | 'path' | 'repository' | 'password';

/** The price of a password wrap on a drive, in the words the security model gives. */
export const DRIVE_PASSWORD_WARNING =
  'Anyone with this drive or a copy of it can try to guess your password offline; two-factor does not apply; changing your password later does not protect copies already made.';
type VaultKind = 'local' | 'account';

/**
 * "Add storage vault": a folder or drive, or a repository in the account storage of the server
 * Strongroom signs in to; then either a new vault there (its password is made at random and kept
 * by the account, so nobody types it) or the vault already there (its password), and whether this
 * computer keeps the password so scheduled backups run while Strongroom is locked. A folder vault
 * may also let the account password open it ("Let my password open this drive too"), with what
 * that costs said plainly. For account storage the form says what the server sees.
 */
export function VaultCreateForm({
  onCreated,
  onCancel,
  submitLabel = 'Add storage vault',
}: {
  onCreated(vault: VaultView): void;
  onCancel?: () => void;
  submitLabel?: string;
}) {
  const createVault = useBackups((s) => s.createVault);
  const screen = useDesktop((s) => s.screen);
  const account = screen.kind === 'unlocked' ? screen.account : null;
  const ids = {
    name: useId(),
    kind: useId(),
    path: useId(),
    repository: useId(),
    repositoryHint: useId(),
    password: useId(),
    keep: useId(),
    keepHint: useId(),
    mode: useId(),
    onDrive: useId(),
    onDriveHint: useId(),
  };
  const serverIsLocal = screen.kind === 'unlocked' && screen.serverIsLocal;
  const [name, setName] = useState('Backup drive');
  const [kind, setKind] = useState<VaultKind>('local');
  const [path, setPath] = useState('');
  const [repository, setRepository] = useState('');
  const [mode, setMode] = useState<'new' | 'existing'>('new');
  const [password, setPassword] = useState('');
  const [keep, setKeep] = useState(true);
  // On by default only with the embedded local server: that server dies with this computer, so the
  // drive must be openable without it.
  const [passwordOnDrive, setPasswordOnDrive] = useState(serverIsLocal);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ field: Field | null; error: IpcError } | null>(null);

  const localProblem = (): { field: Field; text: string } | null => {
    if (!name.trim()) return { field: 'name', text: 'Give the vault a name.' };
    if (kind === 'local') {
      const wrongPath = pathProblem(path);
      if (wrongPath) return { field: 'path', text: wrongPath };
    } else {
      const wrongName = repositoryNameProblem(repository.trim());
      if (wrongName) return { field: 'repository', text: wrongName };
    }
    if (mode === 'existing' && !password) return { field: 'password', text: 'Enter the vault password.' };
    return null;
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const wrong = localProblem();
    if (wrong) {
      setProblem({ field: wrong.field, error: { code: 'bad_request', message: wrong.text } });
      document.getElementById(ids[wrong.field])?.focus();
      return;
    }
    setBusy(true);
    setProblem(null);
    // A new vault's password is made in main and kept by the account: nothing typed is sent.
    const common = {
      name: name.trim(),
      mode,
      storePassword: keep,
      ...(mode === 'existing' ? { password } : {}),
    };
    const result = await createVault(
      kind === 'local'
        ? { type: 'local', path: path.trim(), passwordWrapOnDrive: passwordOnDrive, ...common }
        : { type: 'account', repository: repository.trim(), ...common },
    );
    setBusy(false);
    if (result.ok) {
      setPassword('');
      onCreated(result.value);
    } else {
      setProblem({ field: null, error: result.error });
      // A wrong password for an existing vault is typed again; nothing else is lost.
      if (mode === 'existing') setPassword('');
    }
  };

  return (
    <form className="card-form" onSubmit={(e) => void submit(e)} noValidate aria-label="Add storage vault">
      <div className="field">
        <label htmlFor={ids.name}>Vault name</label>
        <input
          id={ids.name}
          value={name}
          maxLength={80}
          aria-invalid={problem?.field === 'name' || undefined}
          onChange={(e) => setName(e.target.value)}
        />
      </div>
      <fieldset className="field choice-group">
        <legend>Type</legend>
        <label className="radio">
          <input
            type="radio"
            name={ids.kind}
            checked={kind === 'local'}
            onChange={() => {
              setKind('local');
              setProblem(null);
            }}
          />
          Folder or drive
        </label>
        <p className="hint indent">A folder on this computer, a USB drive or a network drive mounted here.</p>
        <label className="radio">
          <input
            type="radio"
            name={ids.kind}
            checked={kind === 'account'}
            onChange={() => {
              setKind('account');
              setProblem(null);
            }}
          />
          Strongroom account storage
        </label>
        <p className="hint indent">
          {account
            ? `On the account server you sign in to (${account.serverUrl}), in ${account.username}'s storage.${
                serverIsLocal
                  ? ' That server runs on this computer: this storage is not off-site, and is lost with this computer.'
                  : ''
              }`
            : 'On the account server you sign in to.'}
        </p>
      </fieldset>
      {kind === 'local' ? (
        <PathField
          id={ids.path}
          label="Folder"
          value={path}
          onChange={(v) => {
            setPath(v);
            setProblem(null);
          }}
          purpose="folder"
          pickerTitle="Choose the folder for the vault"
          placeholder="/media/me/Backup"
          hint="Full path of the folder. Best on another drive than the files it protects."
          invalid={problem?.field === 'path'}
        />
      ) : (
        <div className="field">
          <label htmlFor={ids.repository}>Repository name</label>
          <input
            id={ids.repository}
            value={repository}
            maxLength={64}
            autoCapitalize="off"
            spellCheck={false}
            placeholder="laptop"
            aria-describedby={ids.repositoryHint}
            aria-invalid={problem?.field === 'repository' || undefined}
            onChange={(e) => {
              setRepository(e.target.value);
              setProblem(null);
            }}
          />
          <p className="hint" id={ids.repositoryHint}>
            Letters, digits, dot, dash or underscore (for example the computer&apos;s name). The vault
            password stays on this computer: the server never sees it, nor your files, only encrypted data.
            This computer&apos;s sign-in (its device token) lets scheduled backups reach the server while
            Strongroom is locked.
          </p>
        </div>
      )}
      <fieldset className="field choice-group">
        <legend>Vault</legend>
        <label className="radio">
          <input
            type="radio"
            name={ids.mode}
            checked={mode === 'new'}
            onChange={() => {
              setMode('new');
              setPasswordOnDrive(serverIsLocal);
              setProblem(null);
            }}
          />
          {kind === 'local' ? 'Create a new vault in this folder' : 'Create a new repository on the server'}
        </label>
        <label className="radio">
          <input
            type="radio"
            name={ids.mode}
            checked={mode === 'existing'}
            onChange={() => {
              setMode('existing');
              // A vault this account did not make: its password goes onto that drive only if the person says so.
              setPasswordOnDrive(false);
              setProblem(null);
            }}
          />
          {kind === 'local'
            ? 'Open the vault already in this folder'
            : 'Open a repository already on the server'}
        </label>
      </fieldset>
      {mode === 'existing' ? (
        <div className="field">
          <PasswordField
            id={ids.password}
            label="Vault password"
            autoComplete="current-password"
            value={password}
            onChange={(v) => {
              setPassword(v);
              setProblem(null);
            }}
            hint="The password this vault was created with."
          />
        </div>
      ) : (
        <p className="hint" id={ids.password}>
          Strongroom makes a strong random password for the new vault, and your account keeps it, sealed so
          that the account server cannot read it. Sign in on any computer to restore: there is no vault
          password to type or remember.
        </p>
      )}
      {kind === 'local' && (
        <>
          <div className="field checkbox top">
            <input
              id={ids.onDrive}
              type="checkbox"
              checked={passwordOnDrive}
              aria-describedby={ids.onDriveHint}
              onChange={(e) => setPasswordOnDrive(e.target.checked)}
            />
            <label htmlFor={ids.onDrive}>Let my password open this drive too</label>
          </div>
          <p className="hint indent" id={ids.onDriveHint}>
            {`With this on, your account password opens the vault even without the account server${
              serverIsLocal ? ', which lives on this computer' : ''
            }; your account recovery key always can. ${DRIVE_PASSWORD_WARNING}`}
          </p>
        </>
      )}
      <div className="field checkbox top">
        <input
          id={ids.keep}
          type="checkbox"
          checked={keep}
          aria-describedby={ids.keepHint}
          onChange={(e) => setKeep(e.target.checked)}
        />
        <label htmlFor={ids.keep}>
          Keep the password on this computer so scheduled backups run while Strongroom is locked
        </label>
      </div>
      <p className="hint indent" id={ids.keepHint}>
        {keep
          ? "It is kept in this computer's keychain, which only your user account on this computer can read."
          : 'Not kept: Strongroom forgets the password when it locks. Scheduled backups to this vault then wait until you unlock Strongroom and enter the vault password.'}
      </p>

      <ErrorMessage error={problem?.error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? (mode === 'new' ? 'Creating the vault…' : 'Opening the vault…') : submitLabel}
        </button>
        {onCancel && (
          <button type="button" className="secondary" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
