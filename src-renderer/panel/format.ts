import { UNSAFE_DISPLAY_CHARS, type JobReport } from '../../src-shared/http-api';

/** A device's job report in the words of docs/glossary.md. */
export const JOB_KIND_WORDS: Record<JobReport['kind'], string> = {
  backup: 'backup',
  restore: 'restore',
  check: 'check',
  prune: 'clean-up',
};
export const JOB_STATUS_WORDS: Record<JobReport['status'], string> = {
  succeeded: 'succeeded',
  partial: 'partly done',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** "28 Nov 2026, 01:42:10" in the person's own locale; the raw string if it is not a date. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/**
 * Text the server stores but does not author (a key file's host and user as a client wrote them,
 * names kept from before the server refused such characters), shown with each control or
 * text-direction character as its code, "⟨U+202E⟩": React already escapes markup, but those
 * characters would still reorder what a person reads.
 */
export function visibleText(text: string): string {
  return text.replace(
    UNSAFE_DISPLAY_CHARS,
    (c) => `⟨U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`,
  );
}
