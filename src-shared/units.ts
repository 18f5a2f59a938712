/**
 * The one way sizes and counts are written, in the app, the panel and the job process's messages:
 * decimal units as file managers show them (999 B, 1.5 MB, 12 GB), counts with thousands separators.
 * Pure: no zod, no DOM, no Node.
 */

const SIZE_UNITS = ['KB', 'MB', 'GB', 'TB', 'PB'] as const;

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < SIZE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  // One decimal below 10 (1.5 MB), none above (120 MB); 9.96 rounds up to "10 MB", not "10.0 MB".
  const text = value < 9.95 ? value.toFixed(1) : String(Math.round(value));
  return `${text} ${SIZE_UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** "1 file", "1,204 files". */
export function formatCount(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
