/**
 * What the panel's history, devices and recently deleted files say is what happened: an unlock
 * replacing this computer's own token, a sign-out, a storage token revoked and a device renamed
 * each under their own name; a computer's name kept across its sign-ins; deleted files grouped
 * into deletions, a deleted backup named by the job report that carried its id.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { ManualClock, PanelClient, bearer } from './helpers';
import { desktopSignIn, newComputerId } from './key-helpers';
import { bearerAuth, rest, sha256 } from './storage-helpers';

const PASSWORD = 'correct horse battery';
let server: TestAccountServer;
afterEach(async () => {
  await server?.close();
});

async function setup() {
  const clock = new ManualClock();
  server = await startTestAccountServer({ clock });
  await server.createUser('alice', PASSWORD);
  const panel = new PanelClient(server.url);
  expect((await panel.signIn('alice', PASSWORD)).status).toBe(200);
  return { clock, panel };
}

const kinds = async (panel: PanelClient): Promise<Array<{ kind: string; device: string | null }>> =>
  (
    (await panel.request('GET', '/api/account/audit')).body.events as Array<{
      kind: string;
      device: string | null;
    }>
  ).map(({ kind, device }) => ({ kind, device }));

describe('the history names what happened to devices', () => {
  it("records an unlock replacing this computer's token as signing in again, and a sign-out as one", async () => {
    const { panel } = await setup();
    const computerId = newComputerId();
    const first = await desktopSignIn(server.url, 'alice', PASSWORD, { computerId });
    const second = await desktopSignIn(server.url, 'alice', PASSWORD, { computerId });
    // The app ends the token the new sign-in replaced, as it does after every unlock.
    expect((await bearer(server.url, 'DELETE', '/api/device/me', first.deviceToken!)).status).toBe(204);
    expect((await kinds(panel))[0]).toEqual({ kind: 'device_replaced', device: 'Laptop' });

    expect((await bearer(server.url, 'DELETE', '/api/device/me', second.deviceToken!)).status).toBe(204);
    const events = await kinds(panel);
    expect(events[0]).toEqual({ kind: 'device_signed_out', device: 'Laptop' });
    expect(events.map((e) => e.kind)).not.toContain('device_revoked');
  });

  it('records a storage token revoked as that, not as a device', async () => {
    const { panel } = await setup();
    const made = await panel.request('POST', '/api/account/storage-tokens', { name: 'restic on the NAS' });
    expect(made.status).toBe(201);
    expect((await panel.request('DELETE', `/api/account/storage-tokens/${made.body.id}`)).status).toBe(204);
    expect((await kinds(panel))[0]).toEqual({ kind: 'storage_token_revoked', device: 'restic on the NAS' });
  });

  it("keeps the name the owner gave a computer at that computer's next sign-in, and only there", async () => {
    const { panel } = await setup();
    const computerId = newComputerId();
    await desktopSignIn(server.url, 'alice', PASSWORD, { computerId });
    const [device] = (await panel.request('GET', '/api/account/devices')).body.devices;
    const renamed = await panel.request('PUT', `/api/account/devices/${device.id}/name`, {
      name: "Dora's laptop",
    });
    expect(renamed.status).toBe(204);
    expect((await kinds(panel))[0]).toEqual({ kind: 'device_renamed', device: "Dora's laptop" });

    await desktopSignIn(server.url, 'alice', PASSWORD, { computerId });
    await desktopSignIn(server.url, 'alice', PASSWORD, { computerId: newComputerId() });
    const names = (await panel.request('GET', '/api/account/devices')).body.devices.map(
      (d: { name: string }) => d.name,
    );
    expect(names.sort()).toEqual(["Dora's laptop", "Dora's laptop", 'Laptop']);
    // The sign-in is recorded under the computer's name as the panel shows it.
    const signIns = (await kinds(panel)).filter((e) => e.kind === 'sign_in_success');
    expect(signIns.slice(0, 2).map((e) => e.device)).toEqual(['Laptop', "Dora's laptop"]);

    // A device registered from that computer's session is recorded under its name too.
    const again = await desktopSignIn(server.url, 'alice', PASSWORD, { computerId });
    const registered = await bearer(server.url, 'POST', '/api/account/devices', again.sessionToken, {
      deviceName: 'Laptop',
    });
    expect(registered.status).toBe(201);
    expect((await kinds(panel))[0]).toEqual({ kind: 'sign_in_success', device: "Dora's laptop" });

    const refused = await panel.request('PUT', `/api/account/devices/${device.id}/name`, { name: ' ' });
    expect(refused.status).toBe(400);
  });
});

describe('recently deleted files, as deletions', () => {
  it('groups files by who deleted them and when, and names a deleted backup from its job report', async () => {
    const { clock, panel } = await setup();
    const laptop = await desktopSignIn(server.url, 'alice', PASSWORD);
    const token = laptop.deviceToken!;
    const base = `${server.url}/storage/alice/main/`;
    await rest(`${base}?create=true`, 'POST', { auth: bearerAuth(token) });
    const file = async (type: string, size: number) => {
      const data = randomBytes(size);
      expect(
        (await rest(`${base}${type}/${sha256(data)}`, 'POST', { auth: bearerAuth(token), body: data }))
          .status,
      ).toBe(200);
      return { type, name: sha256(data) };
    };
    const remove = (f: { type: string; name: string }) =>
      rest(`${base}${f.type}/${f.name}`, 'DELETE', { auth: bearerAuth(token) });

    const snapshot = await file('snapshots', 300);
    const unreported = await file('snapshots', 310);
    const data = [await file('data', 4000), await file('data', 5000)];
    const index = await file('index', 700);
    const report = {
      item: 'Documents',
      kind: 'backup',
      status: 'succeeded',
      startedAt: '2026-01-01T11:00:00.000Z',
      durationMs: 1000,
      filesProcessed: 3,
      filesNew: 3,
      filesChanged: 0,
      errors: 0,
      bytesProcessed: 9000,
      bytesAdded: 9000,
      backupId: snapshot.name,
    };
    expect((await bearer(server.url, 'POST', '/api/device/job-reports', token, report)).status).toBe(201);
    const refused = await bearer(server.url, 'POST', '/api/device/job-reports', token, {
      ...report,
      backupId: 'not an id',
    });
    expect(refused.status).toBe(400);

    // A clean-up: two backup records, then their data and index a minute later.
    await remove(snapshot);
    await remove(unreported);
    clock.advance(60_000);
    for (const f of [...data, index]) await remove(f);
    // Another deletion, an hour on.
    clock.advance(60 * 60_000);
    const later = await file('data', 100);
    await remove(later);

    // The panel's session went idle meanwhile: sign in again, as the owner would.
    expect((await panel.signIn('alice', PASSWORD)).status).toBe(200);
    const detail = (await panel.request('GET', '/api/account/storage/repositories/main')).body;
    expect(detail.deletions).toHaveLength(2);
    const [newest, cleanUp] = detail.deletions;
    expect(newest).toMatchObject({ files: 1, bytes: 100, deletedBy: 'Laptop', backups: [] });
    expect(cleanUp).toMatchObject({ files: 5, bytes: 300 + 310 + 9000 + 700, deletedBy: 'Laptop' });
    expect(cleanUp.kinds).toEqual(
      expect.arrayContaining([
        { type: 'snapshots', files: 2, bytes: 610 },
        { type: 'data', files: 2, bytes: 9000 },
        { type: 'index', files: 1, bytes: 700 },
      ]),
    );
    const named = Object.fromEntries(cleanUp.backups.map((b: { id: string }) => [b.id, b]));
    expect(named[snapshot.name].reported).toEqual({
      item: 'Documents',
      startedAt: '2026-01-01T11:00:00.000Z',
      deviceName: 'Laptop',
    });
    // The list of backups received names it the same way.
    const received = detail.snapshots.find((b: { id: string }) => b.id === snapshot.name);
    expect(received.reported).toEqual(named[snapshot.name].reported);
    // Written by restic or before reports carried ids: named by when it arrived and who wrote it.
    expect(named[unreported.name]).toMatchObject({ reported: null, writtenBy: 'Laptop' });

    // Each file says which deletion it was part of; restoring one deletion restores its files only.
    const ofCleanUp = detail.recentlyDeleted
      .filter((f: { deletion: number }) => f.deletion === 1)
      .map(({ type, name }: { type: string; name: string }) => ({ type, name }));
    expect(ofCleanUp).toHaveLength(5);
    const restored = await panel.request('POST', '/api/account/storage/repositories/main/restore', {
      files: ofCleanUp,
    });
    expect(restored.body).toEqual({ count: 5 });
    const after = (await panel.request('GET', '/api/account/storage/repositories/main')).body;
    expect(after.recentlyDeleted.map((f: { name: string }) => f.name)).toEqual([later.name]);
  });

  it("lists one computer's job reports together across its sign-ins, under its current device", async () => {
    const { panel } = await setup();
    const computerId = newComputerId();
    const report = (startedAt: string) => ({
      item: 'Documents',
      kind: 'backup',
      status: 'succeeded',
      startedAt,
      durationMs: 1000,
      filesProcessed: 1,
      filesNew: 1,
      filesChanged: 0,
      errors: 0,
      bytesProcessed: 10,
      bytesAdded: 10,
    });
    const first = await desktopSignIn(server.url, 'alice', PASSWORD, { computerId });
    await bearer(
      server.url,
      'POST',
      '/api/device/job-reports',
      first.deviceToken!,
      report('2026-01-01T10:00:00.000Z'),
    );
    const second = await desktopSignIn(server.url, 'alice', PASSWORD, { computerId });
    await bearer(server.url, 'DELETE', '/api/device/me', first.deviceToken!);
    await bearer(
      server.url,
      'POST',
      '/api/device/job-reports',
      second.deviceToken!,
      report('2026-01-01T11:00:00.000Z'),
    );

    const list = (await panel.request('GET', '/api/account/job-reports')).body;
    expect(list.devices).toHaveLength(1);
    expect(list.devices[0]).toMatchObject({ deviceName: 'Laptop', computerId, revoked: false });
    expect(list.devices[0].reports.map((r: { startedAt: string }) => r.startedAt)).toEqual([
      '2026-01-01T11:00:00.000Z',
      '2026-01-01T10:00:00.000Z',
    ]);
  });
});
