import { useId, useState, type FormEvent } from 'react';
import type { IpcError, VaultView } from '../../../src-shared/ipc-contract';
import { ErrorMessage } from '../../components/error-message';
import { PasswordField } from '../../components/password-field';
import { useDesktop } from '../store';
import { useBackups } from './backups-store';
import { pathProblem, repositoryNameProblem } from './form-rules';
import { passwordStrength, VAULT_PASSWORD_MIN } from './password-strength';
import { PathField } from './path-list-input';

type Field = 'name' | 'path' | 'repository' | 'password' | 'repeat';
type VaultKind = 'local' | 'account';

/**
 * "Add storage vault": a folder or drive, or a repository in the account storage of the server
 * Strongroom signs in to; then either a new vault there (password twice, with a strength hint) or
 * the vault already there (its password), and whether this computer keeps the password so
 * scheduled backups run while Strongroom is locked. For account storage the form says what the
 * server sees: encrypted data only, never the password or the files.
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
    repeat: useId(),
    strength: useId(),
    keep: useId(),
    keepHint: useId(),
    mode: useId(),
  };
  const [name, setName] = useState('Backup drive');
  const [kind, setKind] = useState<VaultKind>('local');
  const [path, setPath] = useState('');
  const [repository, setRepository] = useState('');
  const [mode, setMode] = useState<'new' | 'existing'>('new');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [keep, setKeep] = useState(true);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ field: Field | null; error: IpcError } | null>(null);
  const strength = passwordStrength(password);

  const localProblem = (): { field: Field; text: string } | null => {
    if (!name.trim()) return { field: 'name', text: 'Give the vault a name.' };
    if (kind === 'local') {
      const wrongPath = pathProblem(path);
      if (wrongPath) return { field: 'path', text: wrongPath };
    } else {
      const wrongName = repositoryNameProblem(repository.trim());
      if (wrongName) return { field: 'repository', text: wrongName };
    }
    if (!password) return { field: 'password', text: 'Enter the vault password.' };
    if (mode === 'new') {
      if (password.length < VAULT_PASSWORD_MIN)
        return {
          field: 'password',
          text: `The vault password needs at least ${VAULT_PASSWORD_MIN} characters.`,
        };
      if (password !== repeat)
        return { field: 'repeat', text: 'The two passwords are not the same. Type the password again.' };
    }
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
    const common = { name: name.trim(), mode, password, storePassword: keep };
    const result = await createVault(
      kind === 'local'
        ? { type: 'local', path: path.trim(), ...common }
        : { type: 'account', repository: repository.trim(), ...common },
    );
    setBusy(false);
    if (result.ok) {
      setPassword('');
      setRepeat('');
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
            ? `On the account server you sign in to (${account.serverUrl}), in ${account.username}'s storage.`
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
              setProblem(null);
            }}
          />
          {kind === 'local'
            ? 'Open the vault already in this folder'
            : 'Open a repository already on the server'}
        </label>
      </fieldset>
      <div className="field">
        <PasswordField
          id={ids.password}
          label="Vault password"
          autoComplete={mode === 'new' ? 'new-password' : 'current-password'}
          value={password}
          onChange={(v) => {
            setPassword(v);
            setProblem(null);
          }}
          hint={
            mode === 'new'
              ? 'It encrypts everything in the vault. Without it nobody can restore these backups: not you, not Strongroom.'
              : 'The password this vault was created with.'
          }
        />
        {mode === 'new' && password && (
          <div className={`strength ${strength.level}`} id={ids.strength}>
            <meter
              min={0}
              max={4}
              low={2}
              high={3}
              optimum={4}
              value={strength.score}
              aria-label="Password strength"
            />
            <span role="status">{strength.text}</span>
          </div>
        )}
        {mode === 'new' && (
          <PasswordField
            id={ids.repeat}
            label="Repeat vault password"
            autoComplete="new-password"
            value={repeat}
            onChange={(v) => {
              setRepeat(v);
              setProblem(null);
            }}
          />
        )}
      </div>
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
