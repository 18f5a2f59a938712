import { useId, useState } from 'react';
import type { IpcError, VaultView } from '../../../src-shared/ipc-contract';
import { ErrorMessage } from '../../components/error-message';
import { FormDialog } from '../../components/form-dialog';
import { PasswordField } from '../../components/password-field';
import { request } from '../request';
import { pathProblem } from './form-rules';
import { PathField } from './path-list-input';

/** What a person must understand before choosing "Not now". */
export const RECOVERY_KIT_WARNING =
  'Your account keeps this vault’s password, so signing in on any computer gets these backups back. The vault’s own recovery kit is a second way in that needs neither your account nor this app: it holds the vault location, its id, the password and how to restore with strongroom-backup. Keep it somewhere safe away from this computer, or print it.';
const ACCOUNT_KIT_WARNING =
  'Your account keeps this vault’s password, sealed: the account server cannot read it, nor your files. The vault’s own recovery kit is a second way in with strongroom-backup from any computer: it holds the server, your username, the repository, its id and the password. Keep it somewhere safe away from this computer, or print it.';

function kitWarning(vault: VaultView): string {
  return vault.type === 'account' ? ACCOUNT_KIT_WARNING : RECOVERY_KIT_WARNING;
}

/** "Save recovery kit": the account password again (the kit holds the vault password), then where. */
export function RecoveryKitDialog({
  vault,
  open,
  onClose,
}: {
  vault: VaultView;
  open: boolean;
  onClose(saved: string | null): void;
}) {
  const ids = { password: useId(), path: useId() };
  const [password, setPassword] = useState('');
  const [destination, setDestination] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);

  const save = async () => {
    if (!password) {
      setError({ code: 'bad_request', message: 'Enter your account password.' });
      document.getElementById(ids.password)?.focus();
      return;
    }
    const wrongPath = pathProblem(destination);
    if (wrongPath) {
      setError({
        code: 'bad_request',
        message: `Where to save it: ${wrongPath.replace('Choose a folder.', 'Choose a file.')}`,
      });
      document.getElementById(ids.path)?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    const result = await request((api) =>
      api.vaultSaveRecoveryKit({
        vaultId: vault.id,
        accountPassword: password,
        destinationPath: destination.trim(),
      }),
    );
    setBusy(false);
    setPassword('');
    if (result.ok) onClose(result.value.path);
    else setError(result.error);
  };

  return (
    <FormDialog
      open={open}
      title={`Save the recovery kit of ${vault.name}`}
      submitLabel={busy ? 'Saving…' : 'Save recovery kit'}
      busy={busy}
      onSubmit={() => void save()}
      onCancel={() => {
        setPassword('');
        setError(null);
        onClose(null);
      }}
    >
      <p>{kitWarning(vault)}</p>
      <PasswordField
        id={ids.password}
        label="Account password"
        autoComplete="current-password"
        value={password}
        onChange={(v) => {
          setPassword(v);
          setError(null);
        }}
        hint="The password you unlock Strongroom with: the kit contains the vault password."
      />
      <PathField
        id={ids.path}
        label="Save as"
        value={destination}
        onChange={(v) => {
          setDestination(v);
          setError(null);
        }}
        purpose="save-file"
        pickerTitle="Save the recovery kit"
        placeholder="/media/me/USB/strongroom-recovery-kit.txt"
        hint="Full path of the file to write, for example on a USB stick you keep apart. Not in the vault itself."
      />
      <ErrorMessage error={error} />
    </FormDialog>
  );
}

/** Right after a vault is created: the offer to save its kit, said plainly. */
export function RecoveryKitOffer({ vault, onDone }: { vault: VaultView; onDone(): void }) {
  const [open, setOpen] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const titleId = useId();
  return (
    <section className="notice warning kit-offer" aria-labelledby={titleId}>
      <h2 id={titleId}>Save the recovery kit</h2>
      <p>{kitWarning(vault)}</p>
      {saved && (
        <p className="saved" role="status">
          Recovery kit saved to <span className="mono">{saved}</span>.
        </p>
      )}
      <div className="actions">
        {!saved && (
          <button type="button" className="primary" onClick={() => setOpen(true)}>
            Save recovery kit…
          </button>
        )}
        <button type="button" className="secondary" onClick={onDone}>
          {saved ? 'Continue' : 'Not now'}
        </button>
      </div>
      <RecoveryKitDialog
        vault={vault}
        open={open}
        onClose={(path) => {
          setOpen(false);
          if (path) setSaved(path);
        }}
      />
    </section>
  );
}
