/**
 * Exclude patterns, as in restic: `*` and `?` never cross '/', `**` does. A pattern without '/' matches
 * any path component (`node_modules`, `*.tmp`); one with '/' matches the end of the absolute path, or the
 * whole of it when it starts with '/'.
 */
export class ExcludeMatcher {
  private readonly rules: { re: RegExp; anchored: boolean; component: boolean }[];

  constructor(readonly patterns: string[]) {
    this.rules = patterns
      .map((p) => p.trim())
      .filter((p) => p.length > 0)
      .map((p) => {
        const body = p.replace(/\/+$/, '');
        return {
          re: globToRegExp(body.replace(/^\//, '')),
          anchored: body.startsWith('/'),
          component: !body.includes('/'),
        };
      });
  }

  matches(absPath: string): boolean {
    if (this.rules.length === 0) return false;
    const parts = absPath.split('/').filter(Boolean);
    for (const r of this.rules) {
      if (r.component) {
        if (parts.some((c) => r.re.test(c))) return true;
      } else if (r.anchored) {
        if (r.re.test(parts.join('/'))) return true;
      } else {
        for (let i = 0; i < parts.length; i++) if (r.re.test(parts.slice(i).join('/'))) return true;
      }
    }
    return false;
  }
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${glob
          .slice(i + 1, end)
          .replace(/\\/g, '\\\\')
          .replace(/^!/, '^')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
