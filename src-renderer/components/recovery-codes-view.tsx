import { useId } from 'react';
import { CopyButton } from './copy-button';
import { recoveryCodesFileName, recoveryCodesFileText } from './secret-format';

export interface RecoveryCodesViewProps {
  /** Shown once: the codes live only in the caller's state and are gone after onDone. */
  codes: readonly string[];
  /** Used in the heading of the downloaded file and its name. */
  accountName?: string;
  /** The person says the codes are stored; the caller drops them. */
  onDone(): void;
  doneLabel?: string;
}

/** The recovery codes, shown once, with Copy and Download (.txt). */
export function RecoveryCodesView({
  codes,
  accountName,
  onDone,
  doneLabel = 'I have stored my recovery codes',
}: RecoveryCodesViewProps) {
  const headingId = useId();
  const plain = codes.join('\n');

  const download = () => {
    const blob = new Blob([recoveryCodesFileText(codes, accountName, new Date())], {
      type: 'text/plain;charset=utf-8',
    });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = recoveryCodesFileName(accountName);
    document.body.append(a);
    a.click();
    a.remove();
    // Give the browser a moment to start the download before the URL goes away.
    window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  return (
    <section className="sr-recovery" aria-labelledby={headingId}>
      <h3 id={headingId}>Your recovery codes</h3>
      <p className="sr-warning">
        <strong>Store these now; they will not be shown again.</strong> Each code signs you in once, in place
        of a two-factor code, if you lose your phone or authenticator app.
      </p>
      {/* role="list": Safari drops list semantics from lists styled without markers. */}
      <ol className="sr-recovery-list" role="list" aria-label="Recovery codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <div className="sr-actions">
        <CopyButton text={plain} label="Copy" ariaLabel="Copy recovery codes" />
        <button type="button" onClick={download} aria-label="Download recovery codes">
          Download
        </button>
        <button type="button" className="sr-primary" onClick={onDone}>
          {doneLabel}
        </button>
      </div>
    </section>
  );
}
