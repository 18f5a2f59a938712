/**
 * `npm run bench -- sessions [--paths N] [--backups N] [--folders N] [--dir DIR] [--keep]`
 *
 * The Restore page and "Back up now" on a large history, through the browser harness's real
 * main-process services (the IPC gate the page calls, repository sessions and job processes forked
 * from the sources) and a real account server:
 *   - a vault whose repository holds --backups snapshots (default 3) of a tree of --paths files
 *     (default 100,000, in folders of 100), made by the engine with the default key derivation;
 *   - the backups list (restore:snapshots), as the page asks when Restore opens;
 *   - "click a backup": restore:browse of its top folder, right after the list (the session is open,
 *     its index not yet read), then each further folder (--folders of them, default 20): median and
 *     slowest;
 *   - "Back up now": from job:backupNow to the first progress figure main hands to the page.
 * Targets (the issue): top folder under 300 ms, each further folder under 100 ms, first progress
 * under 1 s. Prints the figures and the machine; figures go to docs/benchmarks.md only from a quiet
 * machine.
 */
import fs from 'node:fs';
import { register } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { backup, LocalFolderStorage, Repository } from '../src-engine/index';
import type { VaultView, ProtectedItemView } from '../src-shared/ipc-contract';
import type { LsEntry, SnapshotInfo } from '../src-shared/job-protocol';
import { startTestAccountServer } from '../tests/support/account-server';

const ACCOUNT_PASSWORD = 'benchmark account password';
const VAULT_PASSWORD = 'benchmark vault password';

const { values } = parseArgs({
  options: {
    paths: { type: 'string', default: '100000' },
    backups: { type: 'string', default: '3' },
    folders: { type: 'string', default: '20' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const PATHS = Math.max(10, Number(values.paths));
const BACKUPS = Math.max(1, Number(values.backups));
const FOLDERS = Math.max(1, Number(values.folders));
const PER_FOLDER = 100;
const base = fs.mkdtempSync(path.join(values.dir ?? os.tmpdir(), 'strongroom-bench-sessions-'));

const ms = (t0: number) => performance.now() - t0;
const fmt = (x: number) => `${x.toFixed(0)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function makeTree(root: string): void {
  for (let i = 0; i < PATHS; i++) {
    const dir = path.join(
      root,
      `group${Math.floor(i / (PER_FOLDER * 10))}`,
      `folder${Math.floor(i / PER_FOLDER)}`,
    );
    if (i % PER_FOLDER === 0) fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `file${i}.txt`), `file ${i}\n`);
  }
}

async function main(): Promise<void> {
  const data = path.join(base, 'data');
  const repoDir = path.join(base, 'vault');
  process.stdout.write(`making ${PATHS} paths and ${BACKUPS} backups in ${base} … `);
  makeTree(data);
  const repo = await Repository.init(new LocalFolderStorage(repoDir), VAULT_PASSWORD);
  let last = '';
  for (let b = 0; b < BACKUPS; b++) {
    // Each backup after the first changes one file in ten folders.
    if (b > 0)
      for (let f = 0; f < Math.min(10, Math.ceil(PATHS / PER_FOLDER)); f++)
        fs.appendFileSync(path.join(data, 'group0', `folder${f}`, `file${f * PER_FOLDER}.txt`), `${b}\n`);
    last = (await backup(repo, { paths: [data] })).snapshotId;
  }
  console.log('done');

  const server = await startTestAccountServer();
  await server.createUser('bench', ACCOUNT_PASSWORD);
  register('../src-harness/electron-hooks.mjs', import.meta.url);
  const { startHarness } = await import('../src-harness/harness');
  // The calls go through the gate the page uses; no page is loaded, so a stand-in renderer is served.
  const rendererDir = path.join(base, 'renderer');
  fs.mkdirSync(path.join(rendererDir, 'desktop'), { recursive: true });
  fs.mkdirSync(path.join(rendererDir, 'assets'));
  fs.writeFileSync(path.join(rendererDir, 'desktop', 'index.html'), '<!doctype html><title>bench</title>');
  const harness = await startHarness({
    dataDir: path.join(base, 'app'),
    serverUrl: server.url,
    rendererDir,
    log: () => undefined,
  });
  const call = async <T>(channel: string, input?: unknown): Promise<T> => {
    const r = await harness.services.dispatch(channel, input, true);
    if (!r?.ok) throw new Error(`${channel}: ${JSON.stringify(r)}`);
    return r.value as T;
  };
  try {
    await call('auth:unlock', { username: 'bench', password: ACCOUNT_PASSWORD });
    const vault = await call<VaultView>('vault:create', {
      type: 'local',
      name: 'Bench',
      path: repoDir,
      mode: 'existing',
      password: VAULT_PASSWORD,
      storePassword: false,
    });

    let t0 = performance.now();
    const list = await call<SnapshotInfo[]>('restore:snapshots', { vaultId: vault.id });
    const listMs = ms(t0);
    if (list[0]?.id !== last) throw new Error('the newest backup is not first in the list');

    const browse = (dir: string) =>
      call<LsEntry[]>('restore:browse', { vaultId: vault.id, snapshotId: last, path: dir });
    t0 = performance.now();
    const top = await browse(data);
    const topMs = ms(t0);
    const folders = (await browse(path.join(data, 'group0')))
      .filter((e) => e.type === 'dir')
      .slice(0, FOLDERS);
    const each: number[] = [];
    for (const f of folders) {
      t0 = performance.now();
      await browse(f.path);
      each.push(ms(t0));
    }

    const item = await call<ProtectedItemView>('item:save', {
      name: 'Bench data',
      paths: [data],
      excludes: [],
      excludePresets: [],
      vaultId: vault.id,
      schedule: { kind: 'manual' },
      retention: { mode: 'keep-all' },
      conditions: { catchUpMissed: true, skipOnBattery: false },
    });
    const firstProgress = new Promise<number>((resolve) => {
      const off = harness.services.queue.onProgress(() => {
        off();
        resolve(performance.now());
      });
    });
    t0 = performance.now();
    const { jobId } = await call<{ jobId: string }>('job:backupNow', { itemId: item.item.id });
    const progressMs = (await firstProgress) - t0;
    while (['waiting', 'running'].includes(harness.services.history.get(jobId)?.status ?? 'waiting'))
      await new Promise((r) => setTimeout(r, 200));

    console.log(
      `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, load ${os.loadavg()[0]!.toFixed(1)}`,
    );
    console.log(`history: ${PATHS} paths, ${list.length} backups, top folder ${top.length} entries`);
    console.log(`backups list (restore:snapshots, session opened): ${fmt(listMs)}`);
    console.log(`click a backup → top folder listed: ${fmt(topMs)} (target < 300 ms)`);
    console.log(
      `each further folder (${each.length}): median ${fmt(median(each))}, slowest ${fmt(Math.max(...each))} (target < 100 ms)`,
    );
    console.log(`"Back up now" → first progress figure: ${fmt(progressMs)} (target < 1000 ms)`);
    console.log(`session processes open: ${harness.services.sessions?.openCount ?? 0}`);
  } finally {
    await harness.close();
    await server.close();
    if (!values.keep) fs.rmSync(base, { recursive: true, force: true });
  }
}

await main();
