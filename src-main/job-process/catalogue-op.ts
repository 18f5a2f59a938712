/**
 * The `catalogue` op: brings a vault's file catalogue up to date with its repository. Backups no
 * longer in the repository are dropped (with the versions only they held); new ones are appended to
 * their lineage oldest first. A lineage is rebuilt from its first backup when that is the simple
 * truth: its newest catalogued backup was removed, or a backup older than it appeared (copied in
 * from elsewhere). `rebuild`, or a catalogue found damaged, foreign or from another repository,
 * starts from an empty file.
 */
import { emptyOutcome, type JobOutcome, type JobRequest } from '../../src-shared/job-protocol';
import { openCatalogueForWriting } from '../catalogue/catalogue-file';
import {
  CatalogueWriter,
  byTime,
  lineageOf,
  type LineageRow,
  type RepoSnapshot,
} from '../catalogue/catalogue-writer';
import { formatCount } from '../../src-shared/units';
import type { JobContext } from './job-context';
import type { Repository } from '../../src-engine/index';
import { openRepository } from './repository-ops';

export async function catalogueOp(
  request: Extract<JobRequest, { op: 'catalogue' }>,
  ctx: JobContext,
): Promise<JobOutcome> {
  const repo = await openRepository(request, ctx);
  await repo.loadIndex({ recover: false });
  const r = await updateCatalogue(repo, request.catalogueFile, request.rebuild, ctx);
  return {
    ...emptyOutcome('success', r.message, null),
    filesTotal: r.added,
    filesDone: r.added,
    value: { op: 'catalogue', added: r.added, dropped: r.dropped, catalogued: r.catalogued },
  };
}

export interface CatalogueResult {
  added: number;
  dropped: number;
  catalogued: number;
  /** What was done, in one sentence (also the last line logged). */
  message: string;
}

/**
 * Brings the catalogue file up to date with an opened repository whose index is loaded: the
 * `catalogue` op, and the search-index phase of a backup.
 */
export async function updateCatalogue(
  repo: Repository,
  catalogueFile: string,
  rebuild: boolean,
  ctx: JobContext,
): Promise<CatalogueResult> {
  const inRepo = await repo.listSnapshots();
  const opened = openCatalogueForWriting(catalogueFile, repo.config.id, rebuild);
  if (opened.recreated === 'damaged') {
    ctx.log(
      'warning',
      null,
      `The search index was damaged (${opened.problem}); it is rebuilt from the vault.`,
    );
  } else if (opened.recreated === 'other-version') {
    ctx.log(
      'info',
      null,
      'The search index was made by another version of Strongroom; it is rebuilt from the vault.',
    );
  } else if (opened.recreated === 'other-repository') {
    ctx.log('warning', null, 'The search index was of another vault; it is rebuilt from this vault.');
  }
  const db = opened.db;
  try {
    const writer = new CatalogueWriter(db);
    const catalogued = writer.snapshots();
    const repoIds = new Set(inRepo.map((s) => s.id));
    const gone = [...catalogued.values()].filter((s) => !repoIds.has(s.id));

    // Per lineage: what to append, and whether to start it again.
    const byLineage = new Map<string, { itemId: string | null; all: RepoSnapshot[] }>();
    for (const s of inRepo) {
      const { key, itemId } = lineageOf(s);
      const entry = byLineage.get(key) ?? { itemId, all: [] };
      entry.all.push(s);
      byLineage.set(key, entry);
    }
    const lineages = writer.lineages();
    const plan: { lineage: LineageRow; append: RepoSnapshot[] }[] = [];
    let emptied = false;
    for (const lineage of lineages.values()) {
      if (byLineage.has(lineage.key)) continue;
      writer.clearLineage(lineage, true); // none of its backups is left
      emptied = true;
    }
    for (const [key, { itemId, all }] of byLineage) {
      all.sort(byTime);
      const lineage = lineages.get(key) ?? writer.lineage(key, itemId);
      const mine = [...catalogued.values()].filter((c) => c.lineage === lineage.id);
      const head = mine.find((c) => c.pos === lineage.headPos) ?? null;
      const fresh = all.filter((s) => !catalogued.has(s.id));
      const rebuild = head !== null && (!repoIds.has(head.id) || fresh.some((s) => byTime(s, head) < 0));
      if (rebuild) {
        ctx.log(
          'info',
          null,
          `Re-cataloguing the ${formatCount(all.length, 'backup')} of one protected item (its backups were reordered or its newest was removed).`,
        );
        writer.clearLineage(lineage, false);
        emptied = true;
        plan.push({ lineage, append: all });
      } else {
        for (const g of gone.filter((c) => c.lineage === lineage.id)) writer.removeSnapshot(g.id);
        plan.push({ lineage, append: fresh });
      }
    }
    if (emptied) writer.dropUnheldPaths();

    const total = plan.reduce((n, p) => n + p.append.length, 0);
    let done = 0;
    const progress = (currentFile: string | null) =>
      ctx.progress({
        phase: 'catalogue',
        filesDone: done,
        filesTotal: total,
        bytesDone: 0,
        bytesTotal: 0,
        currentFile,
        rate: 0,
        eta: null,
      });
    progress(null);
    for (const { lineage, append } of plan) {
      for (const snap of append) {
        ctx.throwIfCancelled();
        await writer.append(repo, lineage, snap, {
          onEntries: (_walked, path) => {
            ctx.throwIfCancelled();
            progress(path);
          },
          onUnreadable: (path, err) =>
            ctx.log(
              'warning',
              path,
              `Backup ${snap.id.slice(0, 8)}: this folder cannot be read (${err.message}); the search index lists it as empty.`,
            ),
        });
        done++;
        progress(null);
      }
    }
    writer.setUpdatedAt(new Date().toISOString());
    const count = writer.snapshots().size;
    const message =
      done === 0 && gone.length === 0
        ? `The search index is up to date (${formatCount(count, 'backup')}).`
        : `Search index updated: ${formatCount(done, 'backup')} added, ${gone.length} removed; ${formatCount(count, 'backup')} searchable.`;
    ctx.log('info', null, message);
    return { added: done, dropped: gone.length, catalogued: count, message };
  } finally {
    db.close();
  }
}
