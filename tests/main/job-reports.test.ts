/**
 * Job reports: after each job that ran, the desktop posts its figures (no file names) to the
 * account server with the device token; reports made while the server is down or the token is
 * refused wait in the job history's SQLite file and go later, oldest first. Real server (restarted
 * on the same port and data directory), real settings file, real SQLite, the real engine in a
 * forked job process; the retry timer runs on an injected clock.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Services } from '../../src-main/compose';
import { JobReportOutbox, MAX_PENDING_REPORTS } from '../../src-main/services/backup/job-report-outbox';
import { jobReport, REPORT_RETRY_MS } from '../../src-main/services/backup/job-reporter';
import { newJobRecord } from '../../src-shared/backup-jobs';
import { deviceTokenAccount } from '../../src-main/services/lock-service';
import { startAccountServer, type AccountServer } from '../../src-server/app';
import type { JobRecord } from '../../src-shared/backup-jobs';
import {
  CSRF_HEADER,
  routes,
  type JobReport,
  type JobReportList,
  type PanelSession,
} from '../../src-shared/http-api';
import type { ProtectedItemView, VaultView } from '../../src-shared/ipc-contract';
import { signInCredentials } from '../support/account-server';
import { derivedKeys, testKdf } from '../support/derived-keys';
import { ManualClock, MemorySecretStore } from './fakes';
import { composeTestServices } from './composed-services';
import { gateCalls, manualItem } from './gate-calls';

const PASSWORD = 'correct horse battery';
let server: AccountServer;
let serverDir: string;
let port: number;
let tmp: string;
let services: Services;
let clock: ManualClock;
let secrets: MemorySecretStore;
let item: ProtectedItemView;

const start = async () => {
  server = await startAccountServer({ dataDir: serverDir, host: '127.0.0.1', port });
  port = Number(new URL(server.url).port);
};

const { call } = gateCalls(() => services);
async function backUp(): Promise<JobRecord> {
  const { jobId } = services.backup.backupNow(item.item.id);
  let job: JobRecord | null = null;
  await vi.waitFor(
    () => {
      job = services.history.get(jobId);
      expect(['waiting', 'running']).not.toContain(job?.status);
    },
    { timeout: 60_000, interval: 100 },
  );
  return job!;
}

/** The panel's list of this device's reports (newest first), read as the account owner would. */
async function panelReports(): Promise<JobReport[]> {
  const signIn = await fetch(`${server.url}${routes.panelSignIn.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', ...(await signInCredentials(server.url, 'alice', PASSWORD)) }),
  });
  const cookie = signIn.headers.getSetCookie()[0]!.split(';')[0]!;
  const session = (await signIn.json()) as PanelSession;
  const list = await fetch(`${server.url}${routes.jobReports.path}`, {
    headers: { cookie, [CSRF_HEADER]: session.csrfToken },
  });
  const body = (await list.json()) as JobReportList;
  // A new unlock registers a new device of the same name: their reports, in the server's order.
  return body.devices.filter((d) => d.deviceName === 'reporting-laptop').flatMap((d) => d.reports);
}

const pendingInOutbox = () => {
  const db = new Database(path.join(tmp, 'app', 'jobs.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM job_report_outbox').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

beforeAll(async () => {
  serverDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-reports-server-'));
  port = 0;
  await start();
  const kdf = testKdf(PASSWORD);
  server.services.accounts.create('alice', kdf, (await derivedKeys(PASSWORD, kdf)).authKey, {
    temporary: false,
  });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-reports-'));
  fs.mkdirSync(path.join(tmp, 'data'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'data', 'secret-plans.txt'), 'a file name the server must never see');
  fs.writeFileSync(path.join(tmp, 'data', 'b.bin'), Buffer.alloc(50_000, 3));
  clock = new ManualClock();
  secrets = new MemorySecretStore();
  services = composeTestServices({
    dir: tmp,
    serverUrl: server.url,
    secrets,
    clock,
    deviceName: 'reporting-laptop',
  });
  await call('auth:unlock', { username: 'alice', password: PASSWORD });
  const vault = await call<VaultView>('vault:create', {
    type: 'local',
    name: 'Drive',
    path: path.join(tmp, 'vault'),
    mode: 'new',
    password: 'vault password',
    storePassword: true,
  });
  item = await call<ProtectedItemView>('item:save', manualItem('Plans', [path.join(tmp, 'data')], vault.id));
});
afterAll(async () => {
  services?.dispose();
  await server?.close().catch(() => undefined);
  for (const dir of [tmp, serverDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('job reports to the account server', { timeout: 180_000 }, () => {
  it('posts each finished job with its figures and no file names', async () => {
    const job = await backUp();
    expect(job.status).toBe('success');
    await vi.waitFor(async () => expect(await panelReports()).toHaveLength(1), {
      timeout: 20_000,
      interval: 200,
    });
    const [report] = await panelReports();
    expect(report).toMatchObject({
      item: 'Plans',
      kind: 'backup',
      status: 'succeeded',
      filesProcessed: 2,
      filesNew: 2,
      filesChanged: 0,
      errors: 0,
      bytesAdded: job.bytesAdded,
    });
    expect(JSON.stringify(report)).not.toContain('secret-plans');
    expect(pendingInOutbox()).toBe(0);
  });

  it('keeps reports while the server is down and sends them, oldest first, when it is back', async () => {
    await server.close();
    fs.writeFileSync(path.join(tmp, 'data', 'new.txt'), 'one more file');
    expect((await backUp()).status).toBe('success');
    const verify = services.backup.verify(item.item.vaultId, false).jobId;
    await vi.waitFor(() => expect(services.history.get(verify)?.status).toBe('success'), {
      timeout: 60_000,
      interval: 100,
    });
    await vi.waitFor(() => expect(pendingInOutbox()).toBe(2), { timeout: 20_000, interval: 100 });

    await start();
    clock.advance(REPORT_RETRY_MS);
    await vi.waitFor(async () => expect(await panelReports()).toHaveLength(3), {
      timeout: 20_000,
      interval: 200,
    });
    const [newest, middle] = await panelReports();
    expect(middle).toMatchObject({ kind: 'backup', filesNew: 1, filesProcessed: 3 });
    expect(newest).toMatchObject({ kind: 'check', item: 'Drive', status: 'succeeded' });
    expect(pendingInOutbox()).toBe(0);
  });

  it('keeps reports while the device token is refused, and sends them at the next unlock', async () => {
    const token = secrets.entries.get(deviceTokenAccount(server.url, 'alice'))!;
    await fetch(`${server.url}${routes.deviceSignOut.path}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect((await backUp()).status).toBe('success');
    await vi.waitFor(() => expect(pendingInOutbox()).toBe(1), { timeout: 20_000, interval: 100 });
    services.lock.lock('manual');
    // The unlock itself sends them (no retry timer needed: the clock does not move here).
    await call('auth:unlock', { username: 'alice', password: PASSWORD });
    await vi.waitFor(() => expect(pendingInOutbox()).toBe(0), { timeout: 20_000, interval: 100 });
    // The new device (same name) holds the report sent after the unlock.
    expect((await panelReports()).some((r) => r.kind === 'backup' && r.filesProcessed === 3)).toBe(true);
  });
});

describe('a job as a report', () => {
  const ended = (patch: Partial<JobRecord>): JobRecord => ({
    ...newJobRecord({
      id: 'job-1',
      kind: 'verify',
      itemId: null,
      vaultId: 'v',
      itemName: null,
      vaultName: 'Drive',
      trigger: 'manual',
      status: 'warning',
      queuedAt: '2026-11-28T09:00:00.000Z',
    }),
    startedAt: '2026-11-28T09:00:01.000Z',
    endedAt: '2026-11-28T09:00:03.500Z',
    ...patch,
  });
  it('names a vault job by its vault, maps kinds and statuses, and measures the duration', () => {
    expect(jobReport(ended({}))).toMatchObject({
      item: 'Drive',
      kind: 'check',
      status: 'partial',
      durationMs: 2500,
      filesNew: 0,
    });
    expect(jobReport(ended({ kind: 'retention', status: 'cancelled' }))).toMatchObject({
      kind: 'prune',
      status: 'cancelled',
    });
  });
  it("carries a backup's id, so the panel can name it once its record is deleted", () => {
    const id = 'ab'.repeat(32);
    expect(jobReport(ended({ kind: 'backup', status: 'success', snapshotId: id }))?.backupId).toBe(id);
    // A restore reads a backup: it names none it made.
    expect(jobReport(ended({ kind: 'restore', status: 'success', snapshotId: id }))?.backupId).toBeNull();
    expect(jobReport(ended({ kind: 'backup', status: 'failed', snapshotId: null }))?.backupId).toBeNull();
  });
  it('reports no job that never ran or has not ended', () => {
    expect(jobReport(ended({ status: 'skipped' }))).toBeNull();
    expect(jobReport(ended({ status: 'running', endedAt: null }))).toBeNull();
    // The file catalogue is this computer's own index: not a backup job the provider hears about.
    expect(jobReport(ended({ kind: 'catalogue' }))).toBeNull();
  });
});

describe('the outbox', () => {
  it(`keeps at most ${MAX_PENDING_REPORTS} reports, dropping the oldest`, () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-outbox-')), 'jobs.sqlite');
    const outbox = new JobReportOutbox(file);
    const report = (n: number) => ({
      item: `item ${n}`,
      kind: 'backup' as const,
      status: 'succeeded' as const,
      startedAt: '2026-11-28T09:00:00.000Z',
      durationMs: n,
      filesProcessed: 0,
      filesNew: 0,
      filesChanged: 0,
      errors: 0,
      bytesProcessed: 0,
      bytesAdded: 0,
    });
    for (let n = 0; n < MAX_PENDING_REPORTS + 5; n++) outbox.add('http://127.0.0.1:1', 'alice', report(n));
    const pending = outbox.pending();
    expect(pending).toHaveLength(MAX_PENDING_REPORTS);
    expect(pending[0]!.report.item).toBe('item 5');
    expect(pending.at(-1)!.report.item).toBe(`item ${MAX_PENDING_REPORTS + 4}`);
    outbox.close();
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });
});
