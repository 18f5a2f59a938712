import { useEffect, useId, useRef, useState } from 'react';
import type { AccountKitPendingView, AccountKitView, IpcError } from '../../../src-shared/ipc-contract';
import { CopyButton } from '../../components/copy-button';
import { ErrorMessage } from '../../components/error-message';
import { PasswordField } from '../../components/password-field';
import { useRetryCountdown } from '../../components/use-retry-countdown';
import { formatDateTime } from '../backups/format';
import { pathProblem } from '../backups/form-rules';
import { choosePath } from '../backups/path-list-input';
import { request } from '../request';
import { accountErrorText } from '../wording';
import { useAccountKey } from './account-key-store';
import { groupRecoveryKey } from './account-words';
import { useSecondFactor } from './use-second-factor';

/** Why the kit matters, in the words the dialog and the banner share. */
export const ACCOUNT_KIT_PURPOSE =
  'If you forget your password, this recovery key and a two-factor code are the only way to set a new one and get your backups back. Nobody else can help: not Strongroom, not the server’s administrator. Save it or print it, and keep it away from this computer.';
export const LOCAL_SERVER_WARNING =
  'Your account and its account storage live on this computer (the local account server), not off-site: if this computer is lost, they are lost with it. Keep a backup on a drive you store elsewhere, with this kit.';

/**
 * The account recovery kit: username, server, key id and the recovery key (grouped, with Copy and
 * a QR code), "Save recovery kit…" and "I have saved it". Shown right after the unlock that made
 * the account's key, after a forgotten password was reset, after "New recovery kit…", and from
 * the banner on Backups until it is saved. Main hands the recovery key out once, when it made the
 * kit; opened again, the dialog asks the password (and a code) before showing it.
 */
export function AccountKitDialog({
  serverIsLocal,
  totpEnabled,
}: {
  serverIsLocal: boolean;
  totpEnabled: boolean;
}) {
  const kit = useAccountKey((s) => s.kit);
  const local = useAccountKey((s) => s.status?.serverIsLocal ?? serverIsLocal);
  const closeKit = useAccountKey((s) => s.closeKit);
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (kit && !dialog.open) dialog.showModal();
    if (!kit && dialog.open) dialog.close();
  }, [kit]);

  return (
    <dialog
      ref={ref}
      className="sr-dialog account-kit"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        closeKit();
      }}
    >
      <h2 id={titleId}>Your account recovery kit</h2>
      {kit && <KitBody kit={kit} serverIsLocal={local} totpEnabled={totpEnabled} />}
    </dialog>
  );
}

export function KitBody({
  kit,
  serverIsLocal,
  totpEnabled,
}: {
  kit: AccountKitView | AccountKitPendingView;
  serverIsLocal: boolean;
  totpEnabled: boolean;
}) {
  const closeKit = useAccountKey((s) => s.closeKit);
  const confirmSaved = useAccountKey((s) => s.confirmSaved);
  const ids = { key: useId(), path: useId(), pathHint: useId() };
  const [saving, setSaving] = useState(false);
  // The harness has no system picker: the same place then takes a typed full path.
  const [typing, setTyping] = useState(false);
  const [destination, setDestination] = useState('');
  const [savedTo, setSavedTo] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);

  const save = async (path: string) => {
    const wrong = pathProblem(path);
    if (wrong) {
      setError({ code: 'bad_request', message: wrong.replace('Choose a folder.', 'Choose a file.') });
      document.getElementById(ids.path)?.focus();
      return;
    }
    setSaving(true);
    setError(null);
    const result = await request((api) => api.accountKitSave({ destinationPath: path.trim() }));
    setSaving(false);
    if (result.ok) {
      setSavedTo(result.value.path);
      setTyping(false);
    } else setError(result.error);
  };

  const pick = async () => {
    setError(null);
    const answer = await choosePath('save-file', 'Save the account recovery kit');
    if (!answer.supported) {
      setTyping(true);
      setTimeout(() => document.getElementById(ids.path)?.focus(), 0);
      return;
    }
    if (answer.paths[0]) await save(answer.paths[0]);
  };

  const done = async () => {
    setBusy(true);
    setError(null);
    const result = await confirmSaved();
    setBusy(false);
    if (!result.ok) setError(result.error);
  };

  return (
    <>
      <p>{ACCOUNT_KIT_PURPOSE}</p>
      {serverIsLocal && (
        <p className="notice warning" role="note">
          {LOCAL_SERVER_WARNING}
        </p>
      )}
      <dl className="facts kit-facts" aria-label="Account recovery kit">
        <div>
          <dt>Username</dt>
          <dd className="selectable">{kit.username}</dd>
        </div>
        <div>
          <dt>Server</dt>
          <dd className="mono selectable">{kit.serverUrl}</dd>
        </div>
        <div>
          <dt>Key ID</dt>
          <dd className="mono selectable">{kit.keyId}</dd>
        </div>
        <div>
          <dt>Made</dt>
          <dd>{formatDateTime(kit.createdAt)}</dd>
        </div>
      </dl>
      {kit.recoveryKey === null ? (
        <ShowKeyAgain totpEnabled={totpEnabled} />
      ) : (
        <div className="kit-key">
          <h3 id={ids.key}>Recovery key</h3>
          <p className="recovery-key mono selectable" role="group" aria-labelledby={ids.key}>
            {groupRecoveryKey(kit.recoveryKey)
              .split(' ')
              .map((group, i) => (
                <span key={i} className="key-group">
                  {group}
                </span>
              ))}
          </p>
          <div className="kit-key-actions">
            <img
              className="sr-qr"
              src={kit.qrPngDataUrl}
              alt="QR code of the recovery key"
              width={148}
              height={148}
            />
          </div>
          <CopyButton text={kit.recoveryKey} ariaLabel="Copy recovery key" />
        </div>
      )}
      {typing && (
        <div className="field">
          <label htmlFor={ids.path}>Save as</label>
          <div className="inline">
            <input
              id={ids.path}
              className="mono"
              spellCheck={false}
              autoCapitalize="none"
              value={destination}
              placeholder="/media/me/USB/strongroom-account-recovery-kit.txt"
              aria-describedby={ids.pathHint}
              onChange={(e) => {
                setDestination(e.target.value);
                setError(null);
              }}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  void save(destination);
                }
              }}
            />
            <button
              type="button"
              className="secondary"
              disabled={saving}
              onClick={() => void save(destination)}
            >
              {saving ? 'Saving…' : 'Save'}
            </button>
          </div>
          <p className="hint" id={ids.pathHint}>
            Full path of the file to write, for example on a USB stick you keep apart. An existing file is
            never replaced.
          </p>
        </div>
      )}
      {savedTo && (
        <p className="sr-success" role="status">
          Recovery kit saved to <span className="mono">{savedTo}</span>.
        </p>
      )}
      <ErrorMessage error={error} message={error ? accountErrorText(error) : undefined} />
      <div className="sr-actions">
        <button type="button" onClick={closeKit} disabled={busy}>
          Later
        </button>
        {!typing && (
          <button type="button" onClick={() => void pick()} disabled={busy || saving}>
            {saving ? 'Saving…' : 'Save recovery kit…'}
          </button>
        )}
        <button type="button" className="sr-primary" onClick={() => void done()} disabled={busy}>
          {busy ? 'Saving…' : 'I have saved it'}
        </button>
      </div>
    </>
  );
}

/**
 * The kit opened again (from the banner): its recovery key is not on screen until the password (and
 * a code) are entered again; "Save recovery kit…" writes it to a file without showing it.
 */
function ShowKeyAgain({ totpEnabled }: { totpEnabled: boolean }) {
  const showKit = useAccountKey((s) => s.showKit);
  const ids = { title: useId(), password: useId(), error: useId() };
  const [asking, setAsking] = useState(false);
  const [password, setPassword] = useState('');
  const second = useSecondFactor(totpEnabled);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const wait = useRetryCountdown(error?.code === 'throttled' ? error : null);

  const submit = async () => {
    if (busy || wait > 0) return;
    const wrong = !password ? 'Enter your password.' : second.problem();
    if (wrong) return setError({ code: 'bad_request', message: wrong });
    setBusy(true);
    setError(null);
    const result = await request((api) => api.accountKitShowAgain({ password, ...second.input() }));
    setBusy(false);
    setPassword('');
    second.clear();
    if (result.ok) showKit(result.value);
    else setError(result.error);
  };

  return (
    <div className="kit-key">
      <h3 id={ids.title}>Recovery key</h3>
      <p>
        {totpEnabled
          ? 'The recovery key is shown once, when it is made. To see it again, enter your password and a two-factor code. “Save recovery kit…” writes it to a file without showing it.'
          : 'The recovery key is shown once, when it is made. To see it again, enter your password. “Save recovery kit…” writes it to a file without showing it.'}
      </p>
      {asking ? (
        <form
          aria-labelledby={ids.title}
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <PasswordField
            id={ids.password}
            label="Password"
            autoComplete="current-password"
            value={password}
            onChange={(v) => {
              setPassword(v);
              setError(null);
            }}
            disabled={busy}
          />
          {second.field({
            errorId: ids.error,
            invalid: Boolean(error),
            disabled: busy,
            onEdit: () => setError(null),
          })}
          <ErrorMessage
            id={ids.error}
            error={error}
            secondsLeft={wait}
            message={error ? accountErrorText(error) : undefined}
          />
          <button type="submit" className="secondary" disabled={busy}>
            {busy ? 'Checking…' : 'Show the recovery key'}
          </button>
        </form>
      ) : (
        <button type="button" className="secondary" onClick={() => setAsking(true)}>
          Show the recovery key again
        </button>
      )}
    </div>
  );
}

/** The quiet line on Backups while the account recovery kit is not saved; it opens the kit again. */
export function AccountKitBanner() {
  const pending = useAccountKey((s) => s.status?.kitPending ?? false);
  const openKit = useAccountKey((s) => s.openKit);
  const kitError = useAccountKey((s) => s.kitError);
  if (!pending) return null;
  return (
    <div className="notice kit-banner" role="region" aria-label="Account recovery kit">
      <p>
        Your account recovery kit is not saved yet. Without it, a forgotten password means your backups cannot
        be opened.
      </p>
      <button type="button" className="secondary" onClick={() => void openKit()}>
        Show recovery kit
      </button>
      {kitError && <ErrorMessage error={kitError} message={accountErrorText(kitError)} />}
    </div>
  );
}
