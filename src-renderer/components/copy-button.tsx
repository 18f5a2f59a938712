import { useEffect, useState } from 'react';

export interface CopyButtonProps {
  /** What goes to the clipboard. */
  text: string;
  /** Visible button text; default "Copy". */
  label?: string;
  /** Accessible name when the visible text alone is ambiguous, e.g. "Copy key". */
  ariaLabel?: string;
}

/**
 * Copies to the clipboard and says so in a polite status line. Where the Clipboard API is missing
 * (a page served over plain HTTP to another machine), it says how to copy by hand instead.
 */
export function CopyButton({ text, label = 'Copy', ariaLabel }: CopyButtonProps) {
  const [status, setStatus] = useState<'' | 'copied' | 'failed'>('');

  useEffect(() => {
    if (!status) return;
    const id = window.setTimeout(() => setStatus(''), 4000);
    return () => window.clearTimeout(id);
  }, [status]);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setStatus('copied');
    } catch {
      setStatus('failed');
    }
  };

  return (
    <span className="sr-copy">
      <button type="button" onClick={() => void copy()} aria-label={ariaLabel}>
        {label}
      </button>
      <span role="status" className="sr-copy-status">
        {status === 'copied'
          ? 'Copied.'
          : status === 'failed'
            ? 'Copying is blocked here: select the text and copy it by hand.'
            : ''}
      </span>
    </span>
  );
}
