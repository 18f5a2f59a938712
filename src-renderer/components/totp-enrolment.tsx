import { useEffect, useId, useState, type FormEvent } from 'react';
import type { ActionResult, Problem, RecoveryCodesData, TotpEnrolmentData } from './action-result';
import { problemFromThrown } from './action-result';
import { CopyButton } from './copy-button';
import { ErrorMessage } from './error-message';
import { RecoveryCodesView } from './recovery-codes-view';
import { groupKey } from './secret-format';
import { TotpCodeInput } from './totp-code-input';
import { useRetryCountdown } from './use-retry-countdown';

/**
 * Props of the two-step TOTP enrolment. The component knows nothing of fetch or IPC: the caller
 * passes two callbacks answering `ActionResult` (`{ ok: true, value } | { ok: false, error }`), so
 * the panel passes its HTTP client's methods and the desktop passes window.api's directly:
 *
 *   <TotpEnrolment begin={() => window.api.totpBegin()}
 *                  confirm={(code) => window.api.totpConfirm({ code })}
 *                  onEnabled={refreshAccount} onDone={close} />
 *
 * Keep it mounted until onDone: the recovery codes live only in its state and are shown once.
 */
export interface TotpEnrolmentProps {
  /** Starts (or restarts) a pending enrolment; nothing changes on the account until confirm. */
  begin(): Promise<ActionResult<TotpEnrolmentData>>;
  /** Sends the six-digit code; success turns TOTP on and answers the new recovery codes. */
  confirm(code: string): Promise<ActionResult<RecoveryCodesData>>;
  /** TOTP is now on (the recovery codes are on screen); e.g. refresh the account summary. */
  onEnabled?(): void;
  /** The person has stored the recovery codes. */
  onDone(): void;
  /** Leaves before saving; the pending enrolment expires by itself and changes nothing. */
  onCancel?(): void;
  /** For the recovery codes file. */
  accountName?: string;
}

type Stage =
  | { kind: 'starting' }
  | { kind: 'failed'; error: Problem }
  | { kind: 'scan'; data: TotpEnrolmentData; deadline: number }
  | { kind: 'expired'; error: Problem }
  | { kind: 'codes'; codes: string[] };

/** How long the server keeps a pending enrolment (issue 2: 10 minutes). */
const ENROLMENT_LIFETIME_MS = 10 * 60 * 1000;

/**
 * When a set-up that arrived at `receivedAt` lapses, on this computer's clock. The server's
 * expiresAt is on the server's clock: with this computer's clock ahead by ten minutes a fresh set-up
 * would show as expired at once, every time. So it is never taken as sooner than the lifetime from
 * arrival; if the server really expires it sooner, Save gets enrolment_expired and says so.
 */
function enrolmentDeadline(expiresAt: string, receivedAt: number): number {
  const left = Date.parse(expiresAt) - receivedAt;
  return receivedAt + (Number.isFinite(left) ? Math.max(left, ENROLMENT_LIFETIME_MS) : ENROLMENT_LIFETIME_MS);
}

const EXPIRED: Problem = {
  code: 'enrolment_expired',
  message: 'This set-up has expired (it lasts 10 minutes). Start again to get a new QR code.',
};

export function TotpEnrolment({
  begin,
  confirm,
  onEnabled,
  onDone,
  onCancel,
  accountName,
}: TotpEnrolmentProps) {
  const [attempt, setAttempt] = useState(0);
  const [stage, setStage] = useState<Stage>({ kind: 'starting' });
  const [code, setCode] = useState('');
  const [error, setError] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const wait = useRetryCountdown(error);
  const headingId = useId();
  const keyId = useId();
  const errorId = useId();

  // Each attempt asks the server for a fresh secret; a stale answer (unmounted, restarted) is dropped.
  useEffect(() => {
    let live = true;
    begin().then(
      (r) => {
        if (!live) return;
        setStage(
          r.ok
            ? { kind: 'scan', data: r.value, deadline: enrolmentDeadline(r.value.expiresAt, Date.now()) }
            : { kind: 'failed', error: r.error },
        );
      },
      (err: unknown) => live && setStage({ kind: 'failed', error: problemFromThrown(err) }),
    );
    return () => {
      live = false;
    };
    // begin is a callback prop; restarting is driven by `attempt` only.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [attempt]);

  // Say so when the pending enrolment lapses, before the person types a code into a dead form.
  const deadline = stage.kind === 'scan' ? stage.deadline : null;
  useEffect(() => {
    if (deadline === null) return;
    const ms = deadline - Date.now();
    const id = window.setTimeout(() => setStage({ kind: 'expired', error: EXPIRED }), Math.max(0, ms));
    return () => window.clearTimeout(id);
  }, [deadline]);

  const restart = () => {
    setStage({ kind: 'starting' });
    setCode('');
    setError(null);
    setAttempt((n) => n + 1);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (code.length !== 6) {
      setError({ code: 'bad_request', message: 'Enter the six-digit code shown in your authenticator app.' });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await confirm(code);
      if (r.ok) {
        setStage({ kind: 'codes', codes: r.value.recoveryCodes });
        onEnabled?.();
      } else if (r.error.code === 'enrolment_expired' || r.error.code === 'no_pending_enrolment') {
        setStage({ kind: 'expired', error: r.error });
      } else {
        setError(r.error);
      }
    } catch (err) {
      setError(problemFromThrown(err));
    } finally {
      setCode('');
      setBusy(false);
    }
  };

  if (stage.kind === 'codes') {
    return (
      <div className="sr-enrolment">
        <p role="status" className="sr-success">
          Two-factor authentication is on. Your code will be required every time you sign in.
        </p>
        <RecoveryCodesView codes={stage.codes} accountName={accountName} onDone={onDone} />
      </div>
    );
  }

  return (
    <section className="sr-enrolment" aria-labelledby={headingId} aria-busy={stage.kind === 'starting'}>
      <h3 id={headingId}>Set up two-factor authentication</h3>
      {stage.kind === 'starting' && <p role="status">Preparing your QR code…</p>}
      {(stage.kind === 'failed' || stage.kind === 'expired') && (
        <>
          <ErrorMessage error={stage.error} />
          <div className="sr-actions">
            <button type="button" className="sr-primary" onClick={restart}>
              Start again
            </button>
            {onCancel && (
              <button type="button" onClick={onCancel}>
                Cancel
              </button>
            )}
          </div>
        </>
      )}
      {stage.kind === 'scan' && (
        <form onSubmit={(e) => void submit(e)} noValidate>
          <ol className="sr-steps">
            <li>
              <p>
                Scan this image with your two-factor authentication app (for example Aegis, 2FAS or Google
                Authenticator).
              </p>
              <img
                className="sr-qr"
                src={stage.data.qrPngDataUrl}
                alt="QR code for Strongroom two-factor authentication: scan it with your authenticator app"
              />
            </li>
            <li>
              <p>Cannot scan? Type this key into the app instead (time-based, 6 digits, 30 seconds).</p>
              <div className="sr-field sr-key-row">
                <label htmlFor={keyId}>Key for manual entry</label>
                <div className="sr-inline">
                  <input
                    id={keyId}
                    className="sr-key"
                    type="text"
                    readOnly
                    value={groupKey(stage.data.secretBase32)}
                    spellCheck={false}
                    autoComplete="off"
                    onFocus={(e) => e.currentTarget.select()}
                  />
                  <CopyButton text={stage.data.secretBase32.replace(/\s+/g, '')} ariaLabel="Copy key" />
                </div>
              </div>
            </li>
            <li>
              <p>Enter the six-digit code from the app, then Save.</p>
              <TotpCodeInput
                label="Six-digit code from the app"
                value={code}
                onChange={setCode}
                disabled={busy}
                invalid={Boolean(error)}
                errorId={errorId}
              />
            </li>
          </ol>
          <ErrorMessage error={error} secondsLeft={wait} id={errorId} />
          <p className="sr-hint">
            This set-up is valid until {new Date(stage.deadline).toLocaleTimeString()}. Nothing changes until
            you save.
          </p>
          <div className="sr-actions">
            <button type="submit" className="sr-primary" disabled={busy || wait > 0}>
              {busy ? 'Saving…' : 'Save'}
            </button>
            {onCancel && (
              <button type="button" onClick={onCancel} disabled={busy}>
                Cancel
              </button>
            )}
          </div>
        </form>
      )}
    </section>
  );
}
