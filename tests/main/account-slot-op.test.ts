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
import { newRepo, PASSWORD, tempDir } from '../engine/helpers';
import { RunRecorder } from './job-process-helpers';

const runner = new ForkedEngineRunner();
let dir: string;
let repoDir: string;
let record: VaultRecord;
let slotKey: string;
let keyId: string;
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
      ...extra,
    },
    rec,
    new AbortController().signal,
  );
  // Neither the password nor the slot key is in anything the job process sent back.
  expect(rec.everything(outcome)).not.toContain(PASSWORD);
  expect(rec.everything(outcome)).not.toContain(slotKey);
  return outcome;
}

const accountSlots = async () =>
  (await Repository.open(new LocalFolderStorage(repoDir), PASSWORD)).accountSlots(amk);

beforeAll(async () => {
  dir = await tempDir('account-slot-op');
  repoDir = path.join(dir, 'repo');
  const repo = await newRepo(repoDir);
  keyId = await keyIdOf(amk);
  slotKey = toBase64url(await vaultSlotKey(amk));
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
    expect((await run({ envelope: await envelope(3) })).value).toMatchObject({ envelope: 'written' });
    expect((await run({ envelope: await envelope(3) })).value).toMatchObject({ envelope: 'kept' });
    expect((await run({ envelope: await envelope(2) })).value).toMatchObject({ envelope: 'kept' });
    expect((await readEnvelope(new LocalFolderStorage(repoDir), accountUid))?.generation).toBe(3);
    expect((await run({ envelope: await envelope(4) })).value).toMatchObject({ envelope: 'written' });
    expect((await readEnvelope(new LocalFolderStorage(repoDir), accountUid))?.generation).toBe(4);
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
