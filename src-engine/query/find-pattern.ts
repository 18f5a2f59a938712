/**
 * What a `find` pattern matches. `*` is any run of characters within one name and `?` one character.
 * Names are compared as people read them: NFC and NFD forms of a name are the same name (macOS stores
 * NFD, most typing gives NFC), and by default case and accents are ignored too (`resume` finds
 * `Résumé`); `exact` compares case and accents as they are, still in one normalisation.
 *
 * - Without `/` it matches names: a plain pattern any name containing it (`report` matches
 *   `Annual-Report.pdf`), a pattern with a wildcard the whole name (`*.pdf`).
 * - With `/` it is a path fragment, matched against the full path where it ends in the entry's own name:
 *   a plain fragment anywhere in the path as long as no `/` follows it (`taxes/2025` matches
 *   `/home/ann/taxes/2025` and `/home/ann/taxes/2025-q1.pdf`, not the files inside `taxes/2025/`, which
 *   `taxes/2025/` matches); a fragment with a wildcard whole names from some folder down to the entry
 *   (`taxes/*.pdf`), and when it ends in `/` the entries inside the folders it names (`u*` + `/`).
 *   A leading `/` anchors the fragment at the root.
 */
import { EngineError } from '../errors';

export interface FindPattern {
  readonly source: string;
  /** True when the pattern has a `/`: `matches` then needs the full path. */
  readonly byPath: boolean;
  /** `name` is the entry's printable name, `fullPath` its snapshot path. */
  matches(name: string, fullPath: string): boolean;
}

export interface FindPatternOptions {
  /** Tell case and accents apart (NFC and NFD forms of a name still match each other). */
  exact?: boolean;
}

const escapeRegExp = (s: string): string => s.replace(/[\\^$.|+()[\]{}]/g, '\\$&');

function globToRegExpSource(glob: string): string {
  let out = '';
  for (const ch of glob) out += ch === '*' ? '[^/]*' : ch === '?' ? '[^/]' : escapeRegExp(ch);
  return out;
}

const ASCII = /^[\x20-\x7e]*$/;
const MARKS = /\p{M}/gu;

/** NFC, the form both sides are compared in. */
const exactForm = (s: string): string => (ASCII.test(s) ? s : s.normalize('NFC'));

/** Without case or accents: decomposed, lower-cased, combining marks dropped, recomposed. */
function looseForm(s: string): string {
  if (ASCII.test(s)) return s.toLowerCase();
  return s.normalize('NFD').toLowerCase().replace(MARKS, '').normalize('NFC');
}

export function compileFindPattern(pattern: string, opts: FindPatternOptions = {}): FindPattern {
  if (pattern === '' || pattern.includes('\0'))
    throw new EngineError('INVALID_ARGUMENT', 'the find pattern must not be empty');
  const form = opts.exact ? exactForm : looseForm;
  const folded = form(pattern);
  const wild = /[*?]/.test(folded);
  const byPath = folded.includes('/');
  if (!byPath && !wild) {
    return { source: pattern, byPath, matches: (name) => form(name).includes(folded) };
  }
  let re: RegExp;
  if (!byPath) re = new RegExp(`^${globToRegExpSource(folded)}$`, 'u');
  else {
    const anchor = folded.startsWith('/') ? '^' : wild ? '(?:^|/)' : '';
    // A fragment ending in `/` names a folder: it matches what is directly inside it.
    const tail = !wild || folded.endsWith('/') ? '[^/]*$' : '$';
    re = new RegExp(`${anchor}${globToRegExpSource(folded)}${tail}`, 'u');
  }
  return byPath
    ? { source: pattern, byPath, matches: (_name, fullPath) => re.test(form(fullPath)) }
    : { source: pattern, byPath, matches: (name) => re.test(form(name)) };
}
