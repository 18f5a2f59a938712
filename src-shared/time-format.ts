/**
 * Times of day as the person's locale writes them: "14:05" where clocks run to 24 hours, "2:05 PM"
 * where they run to 12. The app's dates, times and schedules use these rather than writing hours
 * themselves (the panel's dates still go through its own toLocaleString).
 * `locale` defaults to the runtime's (the renderer's, which Electron takes from the system).
 */

const formats = new Map<string, Intl.DateTimeFormat>();

function format(locale: string | undefined, seconds: boolean): Intl.DateTimeFormat {
  const key = `${locale ?? ''}|${seconds}`;
  let f = formats.get(key);
  if (!f) {
    // A 24-hour clock reads "02:30", a 12-hour one "2:30 AM".
    const cycle = new Intl.DateTimeFormat(locale, { hour: 'numeric' }).resolvedOptions().hourCycle;
    f = new Intl.DateTimeFormat(locale, {
      hour: cycle === 'h23' || cycle === 'h24' ? '2-digit' : 'numeric',
      minute: '2-digit',
      ...(seconds ? { second: '2-digit' } : {}),
    });
    formats.set(key, f);
  }
  return f;
}

/** The time of day of `d`, local time: "14:05" or "2:05 PM". */
export function formatClock(d: Date, locale?: string, withSeconds = false): string {
  return format(locale, withSeconds).format(d);
}

/** A schedule's "HH:MM" (24-hour, as stored) as the locale writes it; the text itself if it is not one. */
export function formatScheduleTime(at: string, locale?: string): string {
  const m = /^(\d{2}):(\d{2})$/.exec(at);
  if (!m) return at;
  return formatClock(new Date(2000, 0, 1, Number(m[1]), Number(m[2])), locale);
}
