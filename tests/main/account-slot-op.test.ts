/**
 * The job process's accountSlot op for real (forked, the real engine, a temporary folder
 * repository): it is given the vault slot key, never the AMK; it writes the account slot once per
 * record, replaces an older record's slot, writes the drive envelope only over a lower generation,
 * and refuses a record of another repository or an envelope outside a folder vault.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import { LocalFolderStorage, Repository, readEnvelope, type EngineEnvelope } from '../../src-engine/index';
import {
  envelopeMacKey,
  keyIdOf,
  newAccountMasterKey,
  newRecoveryKey,
  randomBytes,
  recoveryKeys,
  toBase64url,
  toHex,
  vaultSlotKey,
  wrapAmk,
} from '../../src-shared/account-crypto';
import type { VaultRecord } from '../../src-shared/account-keys';
import type { JobRequest } from '../../src-shared/job-protocol';
import { envelopeFileName } from '../../src-shared/repository-key-files';
import { newRepo, PASSWORD, tempDir } from '../engine/helpers';
import { RunRecorder } from './job-process-helpers';

const runner = new ForkedEngineRunner();
let dir: string;
let repoDir: string;
let record: VaultRecord;
let slotKey: string;
let keyId: string;
let macKey: string;
let logs: RunRecorder['logs'] = [];
const amk = newAccountMasterKey();
const accountUid = toHex(randomBytes(16));

async function envelope(generation: number): Promise<EngineEnvelope> {
  const { wrapKey } = await recoveryKeys(newRecoveryKey());
  return {
    version: 1,
    type: 'strongroom-envelope',
    created: new Date().toISOString(),
    server: 'http://127.0.0.1:8437',
    username: 'ann',
    accountUid,
    keyId,
    generation,
    recoveryWrap: {
      kind: 'recovery',
      generation,
      sealed: await wrapAmk(amk, wrapKey, { accountUid, kind: 'recovery', generation, keyId }),
    },
    passwordWrap: null,
  };
}

async function run(extra: Partial<Extract<JobRequest, { op: 'accountSlot' }>> = {}) {
  const rec = new RunRecorder();
  const outcome = await runner.run(
    {
      op: 'accountSlot',
      repo: { kind: 'local', path: repoDir },
      password: PASSWORD,
      slotKey,
      keyId,
      record,
      envelope: null,
      envelopeMacKey: null,
      ...extra,
    },
    rec,
    new AbortController().signal,
  );
  // Neither the password nor a key is in anything the job process sent back.
  expect(rec.everything(outcome)).not.toContain(PASSWORD);
  expect(rec.everything(outcome)).not.toContain(slotKey);
  expect(rec.everything(outcome)).not.toContain(macKey);
  logs = rec.logs;
  return outcome;
}

/** A request that carries the envelope, and the key its check is made with. */
const withEnvelope = async (generation: number) => ({
  envelope: await envelope(generation),
  envelopeMacKey: macKey,
});

const envelopeFile = async () => path.join(repoDir, 'keys', await envelopeFileName(accountUid));

const accountSlots = async () =>
  (await Repository.open(new LocalFolderStorage(repoDir), PASSWORD)).accountSlots(amk);

beforeAll(async () => {
  dir = await tempDir('account-slot-op');
  repoDir = path.join(dir, 'repo');
  const repo = await newRepo(repoDir);
  keyId = await keyIdOf(amk);
  slotKey = toBase64url(await vaultSlotKey(amk));
  macKey = toBase64url(await envelopeMacKey(amk));
  record = {
    vaultId: 'vault-usb-0001',
    name: 'USB backup',
    repositoryId: repo.config.id,
    repositoryPassword: PASSWORD,
    location: { kind: 'local', path: repoDir, host: 'laptop' },
    createdAt: '2026-12-01T10:00:00.000Z',
    createdOn: 'laptop',
  };
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

describe('the accountSlot op', { timeout: 60_000 }, () => {
  it('writes the slot once per record; a changed record replaces it; the AMK opens the repository', async () => {
    expect((await run()).value).toMatchObject({ accountSlot: 'written', envelope: 'none' });
    expect((await run()).value).toMatchObject({ accountSlot: 'kept' });
    record = { ...record, name: 'USB drive' };
    expect((await run()).value).toMatchObject({ accountSlot: 'written' });
    expect((await accountSlots()).map((s) => s.record?.name)).toEqual(['USB drive']);
    const byAccount = await Repository.openWithAccountKey(new LocalFolderStorage(repoDir), amk);
    expect(await byAccount.readAccountMetadata(amk)).toEqual(record);
  });

  it('writes the drive envelope only over a lower generation', async () => {
    expect((await run(await withEnvelope(3))).value).toMatchObject({ envelope: 'written' });
    expect((await run(await withEnvelope(3))).value).toMatchObject({ envelope: 'kept' });
    expect((await run(await withEnvelope(2))).value).toMatchObject({ envelope: 'kept' });
    expect((await readEnvelope(new LocalFolderStorage(repoDir), accountUid))?.generation).toBe(3);
    expect((await run(await withEnvelope(4))).value).toMatchObject({ envelope: 'written' });
    expect((await readEnvelope(new LocalFolderStorage(repoDir), accountUid))?.generation).toBe(4);
  });

  it('replaces a planted envelope whose wraps do not open, at a raised generation, and warns', async () => {
    expect((await run(await withEnvelope(5))).value).toMatchObject({ envelope: 'written' });
    const file = await envelopeFile();
    const kept = JSON.parse(fs.readFileSync(file, 'utf8')) as EngineEnvelope;
    const planted = {
      ...kept,
      generation: 2 ** 40,
      recoveryWrap: { ...kept.recoveryWrap, generation: 2 ** 40 },
    };
    fs.chmodSync(file, 0o600);
    fs.writeFileSync(file, JSON.stringify(planted));
    expect((await run(await withEnvelope(5))).value).toMatchObject({ envelope: 'written' });
    expect((await readEnvelope(new LocalFolderStorage(repoDir), accountUid))?.generation).toBe(5);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        message: `The drive's copy of the account keys at ${repoDir} did not verify and was rewritten.`,
      }),
    );
    // Verified now: kept, and nothing to warn about.
    expect((await run(await withEnvelope(5))).value).toMatchObject({ envelope: 'kept' });
    expect(logs.filter((l) => l.level === 'warning')).toEqual([]);
  });

  it('upgrades an envelope written without a check at the next write, without a warning', async () => {
    expect((await run(await withEnvelope(6))).value).toMatchObject({ envelope: 'written' });
    const file = await envelopeFile();
    const { mac: _mac, ...unchecked } = JSON.parse(fs.readFileSync(file, 'utf8')) as EngineEnvelope;
    fs.chmodSync(file, 0o600);
    fs.writeFileSync(file, JSON.stringify(unchecked));
    expect((await run(await withEnvelope(6))).value).toMatchObject({ envelope: 'written' });
    expect(logs.filter((l) => l.level === 'warning')).toEqual([]);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'info',
        message: `Added a check to the drive's copy of the account keys at ${repoDir}.`,
      }),
    );
    expect((await readEnvelope(new LocalFolderStorage(repoDir), accountUid))?.mac).toMatch(
      /^[A-Za-z0-9_-]{43}$/,
    );
  });

  it('refuses an envelope sent without the key of its check', async () => {
    const refused = await run({ envelope: await envelope(7) });
    expect(refused.status).toBe('failed');
    expect(refused.message).toContain('without the key of its check');
  });

  it('refuses a record of another repository and an envelope outside a folder vault, writing nothing', async () => {
    const before = fs.readdirSync(path.join(repoDir, 'keys')).sort();
    const other = await run({ record: { ...record, repositoryId: 'ab'.repeat(16), name: 'Other' } });
    expect(other.status).toBe('failed');
    expect(other.message).toContain('names repository abab');
    const http = await run({
      repo: { kind: 'account', url: 'http://127.0.0.1:9/storage/ann/x/', token: 'device-token' },
      envelope: await envelope(9),
    });
    expect(http.status).toBe('failed');
    expect(http.message).toContain('belongs only in a folder vault');
    expect(fs.readdirSync(path.join(repoDir, 'keys')).sort()).toEqual(before);
  });
});
