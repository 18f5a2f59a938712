import { useEffect, useId, useRef, type FormEvent, type ReactNode } from 'react';

export interface FormDialogProps {
  open: boolean;
  title: string;
  children?: ReactNode;
  submitLabel: string;
  cancelLabel?: string;
  /** Styles the submit button as destructive. */
  danger?: boolean;
  busy?: boolean;
  onSubmit(): void;
  onCancel(): void;
}

/**
 * A modal with a form on the native <dialog>: focus is trapped, Escape cancels, Enter in a field
 * submits. Like ConfirmDialog, for the confirmations that need an answer typed (a password, a name).
 */
export function FormDialog({
  open,
  title,
  children,
  submitLabel,
  cancelLabel = 'Cancel',
  danger,
  busy,
  onSubmit,
  onCancel,
}: FormDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      dialog.showModal();
      // The first field, else the first button: where the person starts typing.
      const first = dialog.querySelector<HTMLElement>('input:not([type="hidden"]), select, textarea, button');
      first?.focus();
    }
    if (!open && dialog.open) dialog.close();
  }, [open]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!busy) onSubmit();
  };

  return (
    <dialog
      ref={ref}
      className="sr-dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onCancel();
      }}
    >
      <form onSubmit={submit} noValidate aria-labelledby={titleId}>
        <h2 id={titleId}>{title}</h2>
        {open ? children : null}
        <div className="sr-actions">
          <button type="button" onClick={onCancel} disabled={busy}>
            {cancelLabel}
          </button>
          <button type="submit" className={danger ? 'sr-danger' : 'sr-primary'} disabled={busy}>
            {submitLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
