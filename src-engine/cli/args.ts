/** Command-line parsing shared by every command: flags with values, switches, aliases, positionals. */

/** A mistake in how the command was called (exit code 2), as opposed to a failure while running it. */
export class UsageError extends Error {}

export interface Parsed {
  command: string | undefined;
  positional: string[];
  flags: Map<string, string[]>;
}

export interface FlagSpec {
  /** Flags that take a value (`--tag X`, `--tag=X`), repeatable. */
  value: readonly string[];
  /** Switches (`--dry-run`). */
  bool: readonly string[];
}

/** Flags every command accepts. */
export const GLOBAL_FLAGS: FlagSpec = {
  value: ['repo', 'password-file', 'recovery-key-file'],
  bool: ['json', 'break-lock', 'help', 'quiet', 'no-progress'],
};

const ALIASES: Record<string, string> = {
  r: 'repo',
  h: 'help',
  q: 'quiet',
  e: 'exclude',
  t: 'target',
  i: 'include',
};

export function parseArgs(argv: string[], spec: FlagSpec): Parsed {
  const valueFlags = new Set(spec.value);
  const boolFlags = new Set(spec.bool);
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a.length > 1) {
      let name = a.replace(/^--?/, '');
      let value: string | undefined;
      const eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.slice(eq + 1);
        name = name.slice(0, eq);
      }
      name = ALIASES[name] ?? name;
      if (name === 'recovery-key') {
        throw new UsageError(
          'recovery keys are never accepted on the command line (other users can read it); use STRONGROOM_RECOVERY_KEY or --recovery-key-file FILE',
        );
      }
      if (name === 'password' || name === 'p') {
        throw new UsageError(
          'passwords are never accepted on the command line (other users can read it); use STRONGROOM_PASSWORD or --password-file FILE',
        );
      }
      if (valueFlags.has(name)) {
        if (value === undefined) {
          value = argv[++i];
          if (value === undefined) throw new UsageError(`--${name} needs a value`);
        }
        flags.set(name, [...(flags.get(name) ?? []), value]);
      } else if (boolFlags.has(name)) {
        if (value !== undefined) throw new UsageError(`--${name} takes no value`);
        flags.set(name, ['']);
      } else throw new UsageError(`unknown option ${a}`);
    } else positional.push(a);
  }
  return { command: positional.shift(), positional, flags };
}

/** Refuses flags the command does not take, so a typo'd or misplaced option is never silently ignored. */
export function checkFlags(p: Parsed, command: string, spec: FlagSpec): void {
  const allowed = new Set([...GLOBAL_FLAGS.value, ...GLOBAL_FLAGS.bool, ...spec.value, ...spec.bool]);
  for (const name of p.flags.keys()) {
    if (!allowed.has(name)) throw new UsageError(`${command} does not take --${name}`);
  }
}

export function flag(p: Parsed, name: string): string | undefined {
  return p.flags.get(name)?.[0];
}

export function flags(p: Parsed, name: string): string[] | undefined {
  return p.flags.get(name);
}

export function has(p: Parsed, name: string): boolean {
  return p.flags.has(name);
}

export function int(p: Parsed, name: string): number | undefined {
  const v = flag(p, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} needs a whole number, not "${v}"`);
  return Number(v);
}
