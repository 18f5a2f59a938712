/** `check`: structure always, data on request; names the damage, what it affects and the repair to run. */
import { check, type CheckResult, type DamagedPack } from '../maintenance/check';
import { flag, has, UsageError } from './args';
import type { RepositoryCommand } from './command';
import { EXIT, shortId } from './output';

function readDataPercent(args: Parameters<typeof flag>[0]): number {
  let pct = has(args, 'read-data') ? 100 : 0;
  const subset = flag(args, 'read-data-subset');
  if (subset !== undefined) {
    const m = /^(\d+(?:\.\d+)?)%?$/.exec(subset);
    if (!m || Number(m[1]) <= 0 || Number(m[1]) > 100)
      throw new UsageError('--read-data-subset takes a percentage, e.g. 10%');
    pct = Number(m[1]);
  }
  return pct;
}

/** Lost paths shown per damaged pack; --json has up to LOST_LISTED, and every count is exact. */
const LOST_SHOWN = 20;

function damagedReport(d: DamagedPack): string {
  const lines = [`DAMAGED pack ${d.pack}: ${d.reason}`];
  if (d.snapshots.length === 0) return [...lines, '  no snapshot uses its damaged data'].join('\n');
  const n = d.snapshots.length;
  lines.push(`  used by ${n} snapshot${n === 1 ? '' : 's'}: ${d.snapshots.map(shortId).join(', ')}`);
  const onlyFiles = d.lost.every((l) => l.kind === 'file') && d.lost.length === d.lostCount;
  const noun = onlyFiles ? 'file' : 'path';
  lines.push(`  ${d.lostCount} ${noun}${d.lostCount === 1 ? '' : 's'} lost:`);
  for (const l of d.lost.slice(0, LOST_SHOWN)) {
    const where =
      l.snapshots.length === 1
        ? `snapshot ${shortId(l.snapshots[0]!)}`
        : `in ${l.snapshots.length} snapshots`;
    lines.push(
      `    ${l.path}${l.kind === 'folder' ? ' (folder: nothing in it can be restored)' : ''} (${where})`,
    );
  }
  const shown = Math.min(LOST_SHOWN, d.lost.length);
  if (d.lostCount > shown) {
    const listed = d.lost.length < d.lostCount ? `the first ${d.lost.length}` : 'them all';
    lines.push(`    and ${d.lostCount - shown} more (--json lists ${listed})`);
  }
  return lines.join('\n');
}

function report(r: CheckResult, pct: number): string {
  return [
    `checked ${r.packsChecked} packs, ${r.snapshots} snapshots${pct ? `, read ${r.packsRead} packs in full` : ''}`,
    ...r.damagedPacks.map(damagedReport),
    ...r.errors.filter((e) => !e.startsWith('damaged pack')).map((e) => `error: ${e}`),
    r.ok ? 'no errors were found' : `${r.errors.length} errors found`,
    ...(r.repairs.length ? ['to repair, run in this order:', ...r.repairs.map((c) => `  ${c}`)] : []),
  ].join('\n');
}

export const checkCommand: RepositoryCommand = {
  name: 'check',
  usage: 'check [--read-data | --read-data-subset N%]',
  flags: { value: ['read-data-subset'], bool: ['read-data'] },
  opensRepository: true,
  async run({ repo, args, out, breakLock }) {
    const pct = readDataPercent(args);
    const r = await check(repo, {
      readDataPercent: pct,
      breakLock,
      onProgress: (d, t, phase) => out.progress(`check ${phase}: ${d}/${t} packs`),
    });
    out.endProgress();
    // Files the repository already reported as skipped are not said twice.
    for (const w of r.warnings) if (!repo.problems.some((x) => w.startsWith(`${x.file}:`))) out.warn(w);
    out.result(report(r, pct), r);
    return r.ok ? EXIT.ok : EXIT.error;
  },
};
