/** At most one activity report per this many milliseconds: enough for a lock measured in minutes. */
export const ACTIVITY_PING_INTERVAL_MS = 10_000;

/**
 * Turns a stream of input events into occasional reports for main's idle lock. The first input
 * reports at once; later ones only when the interval has passed since the last report.
 */
export class ActivityReporter {
  private lastReportAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly report: () => void,
    private readonly now: () => number = () => Date.now(),
    private readonly intervalMs = ACTIVITY_PING_INTERVAL_MS,
  ) {}

  /** Call on every pointer or key input. Returns whether a report was sent. */
  noteInput(): boolean {
    const at = this.now();
    if (at - this.lastReportAt < this.intervalMs) return false;
    this.lastReportAt = at;
    this.report();
    return true;
  }
}

export const ACTIVITY_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart'] as const;

/** Listens for input on the window while the app is unlocked; returns the function that stops it. */
export function watchActivity(target: Window, reporter: ActivityReporter): () => void {
  const onInput = () => {
    reporter.noteInput();
  };
  for (const type of ACTIVITY_EVENTS)
    target.addEventListener(type, onInput, { passive: true, capture: true });
  return () => {
    for (const type of ACTIVITY_EVENTS) target.removeEventListener(type, onInput, { capture: true });
  };
}
