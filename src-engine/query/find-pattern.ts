/**
 * What a `find` pattern matches. Case-insensitive; `*` is any run of characters within one name and `?`
 * one character.
 *
 * - Without `/` it matches names: a plain pattern any name containing it (`report` matches
 *   `Annual-Report.pdf`), a pattern with a wildcard the whole name (`*.pdf`).
 * - With `/` it is a path fragment, matched against the full path where it ends in the entry's own name:
 *   a plain fragment anywhere in the path as long as no `/` follows it (`taxes/2025` matches
 *   `/home/ann/taxes/2025` and `/home/ann/taxes/2025-q1.pdf`, not the files inside `taxes/2025/`, which
 *   `taxes/2025/` matches); a fragment with a wildcard whole names from some folder down to the entry
 *   (`taxes/*.pdf`). A leading `/` anchors the fragment at the root.
 */
import { EngineError } from '../errors';

export interface FindPattern {
  readonly source: string;
  /** True when the pattern has a `/`: `matches` then needs the full path. */
  readonly byPath: boolean;
  /** `name` is the entry's printable name, `fullPath` its snapshot path. */
  matches(name: string, fullPath: string): boolean;
}

const escapeRegExp = (s: string): string => s.replace(/[\\^$.|+()[\]{}]/g, '\\$&');

function globToRegExpSource(glob: string): string {
  let out = '';
  for (const ch of glob) out += ch === '*' ? '[^/]*' : ch === '?' ? '[^/]' : escapeRegExp(ch);
  return out;
}

export function compileFindPattern(pattern: string): FindPattern {
  if (pattern === '' || pattern.includes('\0'))
    throw new EngineError('INVALID_ARGUMENT', 'the find pattern must not be empty');
  const wild = /[*?]/.test(pattern);
  const byPath = pattern.includes('/');
  if (!byPath && !wild) {
    const needle = pattern.toLowerCase();
    return { source: pattern, byPath, matches: (name) => name.toLowerCase().includes(needle) };
  }
  let re: RegExp;
  if (!byPath) re = new RegExp(`^${globToRegExpSource(pattern)}$`, 'iu');
  else {
    const anchor = pattern.startsWith('/') ? '^' : wild ? '(?:^|/)' : '';
    const tail = wild ? '$' : '[^/]*$';
    re = new RegExp(`${anchor}${globToRegExpSource(pattern)}${tail}`, 'iu');
  }
  return byPath
    ? { source: pattern, byPath, matches: (_name, fullPath) => re.test(fullPath) }
    : { source: pattern, byPath, matches: (name) => re.test(name) };
}
