/**
 * What a person types in the search field, as a SQL LIKE pattern: part of a name (ignoring case and
 * accents, so "resume" finds "Résumé" whether its name was written composed or decomposed),
 * `*` for any characters and `?` for one, and a path fragment when it contains "/" ("taxes/2025").
 * A pattern without "/" is matched against names only, so "report" finds files and folders named
 * like it rather than everything inside a folder called "reports".
 */
export interface SearchPattern {
  /** Which column of `path` it is matched against. */
  column: 'name' | 'full';
  /**
   * For `fold(column) LIKE ? ESCAPE '\'`, already folded (fold: a function the reader registers,
   * foldForSearch; SQLite's LIKE alone folds only ASCII letters and knows no accents).
   */
  like: string;
  /**
   * For the trigram index (path_text): the longest literal run of 3 characters or more, as an FTS5
   * MATCH on the column (case-insensitive), which narrows the candidates before LIKE decides. One
   * run, not all: a common one ("/note") makes FTS5 read a long list of paths for nothing that LIKE
   * does not decide anyway. null: no run is long enough (e.g. "a*b").
   */
  match: string | null;
}

export function compileSearchPattern(query: string): SearchPattern {
  const q = query.trim();
  if (q === '') throw new Error('Type part of a file or folder name.');
  const text = foldForSearch(q);
  let like = '';
  for (const ch of text) {
    if (ch === '*') like += '%';
    else if (ch === '?') like += '_';
    else if (ch === '%' || ch === '_' || ch === '\\') like += `\\${ch}`;
    else like += ch;
  }
  const column = q.includes('/') ? 'full' : 'name';
  const longest = text
    .split(/[*?]/)
    .reduce((best, run) => ([...run].length > [...best].length ? run : best), '');
  const match = [...longest].length >= 3 ? `${column} : "${longest.replaceAll('"', '""')}"` : null;
  return { column, like: `%${like}%`, match };
}

const COMBINING_MARKS = /\p{M}/gu;

/**
 * A name as search compares it: decomposed (NFD) with its accents dropped, in lower case. ASCII is
 * returned as it is, since LIKE already ignores its case: most names, and the cost of every row.
 */
export function foldForSearch(s: string): string {
  if (!/[^\p{ASCII}]/u.test(s)) return s;
  return s.normalize('NFD').replace(COMBINING_MARKS, '').toLowerCase();
}
