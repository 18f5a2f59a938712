/**
 * The desktop forms check input before sending it, without zod in the window's bundle: these
 * tests hold those checks to the shared schemas, so the words and the rules cannot drift apart.
 */
import { describe, expect, it } from 'vitest';
import {
  EXCLUDE_PRESETS,
  isAbsolutePath as sharedIsAbsolutePath,
  protectedItem,
  timeOfDay,
} from '../../../src-shared/backup-config';
import { z } from 'zod';
import { password, repositoryName, username } from '../../../src-shared/http-api';
import {
  createAccountProblem,
  EXCLUDE_PRESET_CHOICES,
  isAbsolutePath,
  itemProblem,
  parsePatterns,
  repositoryNameProblem,
  timeProblem,
  type ItemDraft,
} from '../../../src-renderer/desktop/backups/form-rules';

describe('create account', () => {
  const cases: [string, string][] = [
    ['a', 'correct horse'],
    ['-bad', 'correct horse'],
    ['Nora', 'correct horse'],
    ['nora', 'short'],
    ['nora', 'x'.repeat(1025)],
    ['nora', 'correct horse'],
  ];
  // The server never sees the password: the contract's rules for a new one are the clients' to apply.
  const newAccount = z.object({ username, password });
  it.each(cases)('agrees with the contract’s rules on %s', (name, pw) => {
    const parsed = newAccount.safeParse({ username: name, password: pw });
    const local = createAccountProblem(name, pw, pw);
    expect(local).toBe(parsed.success ? null : parsed.error.issues[0]!.message);
  });
  it('asks for the password again when the two differ', () => {
    expect(createAccountProblem('nora', 'correct horse', 'correct hose')).toBe(
      'The two passwords are not the same. Type the password again.',
    );
  });
});

describe('account-storage repository names', () => {
  it.each([
    'laptop',
    'Work.2026',
    'a',
    'x'.repeat(64),
    'x'.repeat(65),
    '-dash',
    '.hidden',
    'a/b',
    'a b',
    '',
    'é',
  ])('agrees with the shared schema on %j', (name) => {
    const parsed = repositoryName.safeParse(name);
    expect(repositoryNameProblem(name)).toBe(parsed.success ? null : parsed.error.issues[0]!.message);
  });
});

describe('paths, presets and times', () => {
  it('recognises full paths as the schema does', () => {
    for (const p of [
      '/home/me',
      'C:\\Users\\me',
      'd:/x',
      '\\\\server\\share',
      'relative/x',
      '~/x',
      'C:x',
      '',
    ])
      expect(isAbsolutePath(p), p).toBe(sharedIsAbsolutePath(p));
  });
  it('offers every preset of the schema', () => {
    expect(EXCLUDE_PRESET_CHOICES.map((c) => c.id).sort()).toEqual([...EXCLUDE_PRESETS].sort());
  });
  it('checks times as the schema does', () => {
    for (const t of ['02:30', '23:59', '24:00', '2:30', '12:60', 'noon'])
      expect(timeProblem(t) === null, t).toBe(timeOfDay.safeParse(t).success);
  });
  it('reads one pattern per line, without blanks or repeats', () => {
    expect(parsePatterns(' *.iso \n\nnode_modules\n*.iso\n')).toEqual(['*.iso', 'node_modules']);
  });
});

describe('protected item form', () => {
  const good: ItemDraft = {
    name: 'Documents',
    paths: ['/home/me/Documents'],
    excludesText: '',
    vaultId: 'vault-abc123',
    schedule: { kind: 'daily', at: '02:30' },
    retention: { mode: 'policy', keepLast: 10 },
  };
  const schemaAccepts = (d: ItemDraft) =>
    protectedItem.safeParse({
      id: 'item-abc123',
      name: d.name,
      paths: d.paths,
      excludes: parsePatterns(d.excludesText),
      excludePresets: [],
      vaultId: d.vaultId || 'x',
      schedule: d.schedule,
      retention: d.retention,
      conditions: { catchUpMissed: true, skipOnBattery: false },
      createdAt: '2026-11-29T10:00:00.000Z',
    }).success;

  it('accepts what the schema accepts', () => {
    expect(itemProblem(good)).toBeNull();
    expect(schemaAccepts(good)).toBe(true);
  });
  const bad: [string, Partial<ItemDraft>, string][] = [
    ['a blank name', { name: '  ' }, 'name'],
    ['no folders', { paths: [] }, 'paths'],
    ['a relative path', { paths: ['Documents'] }, 'paths'],
    ['no weekday', { schedule: { kind: 'weekly', days: [], at: '02:30' } }, 'schedule'],
    ['25 hours', { schedule: { kind: 'hourly', everyHours: 25 } }, 'schedule'],
    ['a bad time', { schedule: { kind: 'daily', at: '2:30' } }, 'schedule'],
    ['a policy that keeps nothing', { retention: { mode: 'policy', keepLast: 0 } }, 'retention'],
  ];
  it.each(bad)('refuses %s, naming the field, as the schema does', (_what, change, field) => {
    const draft = { ...good, ...change };
    expect(itemProblem(draft)?.field).toBe(field);
    expect(schemaAccepts(draft)).toBe(false);
  });
});
