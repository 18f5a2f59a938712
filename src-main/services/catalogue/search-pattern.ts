/**
 * What a person types in the search field, as a SQL LIKE pattern: part of a name (case-insensitive),
 * `*` for any characters and `?` for one, and a path fragment when it contains "/" ("taxes/2025").
 * A pattern without "/" is matched against names only, so "report" finds files and folders named
 * like it rather than everything inside a folder called "reports".
 */
export interface SearchPattern {
  /** Which column of `path` it is matched against. */
  column: 'name' | 'full';
  /** For `LIKE ? ESCAPE '\'`. */
  like: string;
  /**
   * SQLite's LIKE folds only ASCII letters; a pattern with other letters is matched against
   * fold(column) (a function the reader registers) with this already folded.
   */
  needsFold: boolean;
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
  const needsFold = [...q].some((ch) => ch.charCodeAt(0) > 0x7f);
  const text = needsFold ? foldCase(q) : q;
  let like = '';
  for (const ch of text) {
    if (ch === '*') like += '%';
    else if (ch === '?') like += '_';
    else if (ch === '%' || ch === '_' || ch === '\\') like += `\\${ch}`;
    else like += ch;
  }
  const column = q.includes('/') ? 'full' : 'name';
  const longest = q
    .split(/[*?]/)
    .reduce((best, run) => ([...run].length > [...best].length ? run : best), '');
  const match = [...longest].length >= 3 ? `${column} : "${longest.replaceAll('"', '""')}"` : null;
  return { column, like: `%${like}%`, needsFold, match };
}

/** Case folding for matching (Unicode-aware, unlike SQLite's LIKE). */
export function foldCase(s: string): string {
  return s.toLowerCase();
}
