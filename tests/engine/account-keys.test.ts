/**
 * The account's key files in a repository: the account slot (the master key and the vault record,
 * sealed under the account master key) and the drive envelope (the account's wrapped AMK), which
 * together let a folder vault open with nothing but the account's recovery key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  backup,
  EngineError,
  LocalFolderStorage,
  readEnvelope,
  Repository,
  RestHttpStorage,
  writeEnvelope,
  type EngineEnvelope,
} from '../../src-engine/index';
import {
  envelopeMacKey,
  formatRecoveryKey,
  keyIdOf,
  newAccountMasterKey,
  newRecoveryKey,
  randomBytes,
  recoveryKeys,
  toHex,
  vaultSlotKey,
  wrapAmk,
} from '../../src-shared/account-crypto';
import { envelopeFileName } from '../../src-shared/repository-key-files';
import type { VaultRecord } from '../../src-shared/account-keys';
import { newRepo, openRepo, PASSWORD, prng, runCli, tempDir, writeFile } from './helpers';

let work: string;
beforeAll(async () => {
  work = await tempDir('account-keys');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function recordFor(repo: Repository, name = 'Photos'): VaultRecord {
  return {
    vaultId: 'vault-photos',
    name,
    repositoryId: repo.config.id,
    repositoryPassword: PASSWORD,
    location: { kind: 'local', path: repo.storage.location, host: 'laptop' },
    createdAt: '2026-03-01T10:00:00.000Z',
    createdOn: 'laptop',
  };
}

async function repoWithData(label: string) {
  const base = path.join(work, label);
  const src = path.join(base, 'src');
  writeFile(path.join(src, 'photo.jpg'), prng(label, 40_000));
  writeFile(path.join(src, 'notes.txt'), 'notes\n');
  const repoDir = path.join(base, 'repo');
  const repo = await newRepo(repoDir);
  const { snapshotId } = await backup(repo, { paths: [src] });
  return { base, src, repoDir, repo, snapshotId };
}

const keyFile = (repoDir: string, id: string) => path.join(repoDir, 'keys', id);

/** AES-256-GCM as docs/repository-format.md has it: base64 of nonce(12) | ciphertext | tag(16). */
function openSealed(key: Buffer, base64: string, aad: string): Buffer {
  const sealed = Buffer.from(base64, 'base64');
  const d = crypto.createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]);
}
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;

async function envelopeFor(amk: Uint8Array, generation: number, recovery = newRecoveryKey()) {
  const accountUid = toHex(randomBytes(16));
  const keyId = await keyIdOf(amk);
  const { wrapKey } = await recoveryKeys(recovery);
  const sealed = await wrapAmk(amk, wrapKey, { accountUid, kind: 'recovery', generation, keyId });
  const envelope: EngineEnvelope = {
    version: 1,
    type: 'strongroom-envelope',
    created: '2026-03-01T10:00:00.000Z',
    server: 'https://accounts.example',
    username: 'ann',
    accountUid,
    keyId,
    generation,
    recoveryWrap: { kind: 'recovery', generation, sealed },
    passwordWrap: null,
  };
  return { envelope, recovery };
}

describe('account slots', () => {
  it('a repository opened by password and by the account key gives the same data and vault record', async () => {
    const { repoDir, repo, snapshotId, src } = await repoWithData('same-data');
    const amk = newAccountMasterKey();
    const slot = await repo.addAccountSlot(amk, recordFor(repo));
    const slotFile = readJson(keyFile(repoDir, slot));
    expect(slotFile).toMatchObject({ type: 'strongroom-account', keyId: await keyIdOf(amk) });
    // As docs/repository-format.md says: sealed under the vault slot key, AAD naming the slot.
    const slotKey = Buffer.from(await vaultSlotKey(amk));
    const opened = openSealed(
      slotKey,
      String(slotFile.metadata),
      `strongroom key ${slot} account metadata v1`,
    );
    expect(JSON.parse(opened.toString('utf8'))).toEqual(recordFor(repo));
    expect(openSealed(slotKey, String(slotFile.masterKey), `strongroom key ${slot} account v1`)).toHaveLength(
      32,
    );

    const byAccount = await Repository.openWithAccountKey(new LocalFolderStorage(repoDir), amk);
    const byPassword = await openRepo(repoDir);
    expect(byAccount.config).toEqual(byPassword.config);
    expect((await byAccount.listSnapshots()).map((s) => s.id)).toEqual([snapshotId]);
    await byAccount.loadIndex();
    let tree = await byAccount.readTree((await byAccount.findSnapshot('latest')).tree);
    for (const part of src.split('/').filter(Boolean))
      tree = await byAccount.readTree(tree.nodes.find((n) => n.name === part)!.subtree!);
    const notes = tree.nodes.find((n) => n.name === 'notes.txt')!;
    expect((await byAccount.readBlob(notes.content![0]!)).toString()).toBe('notes\n');
    expect(await byAccount.readAccountMetadata(amk)).toEqual(recordFor(repo));
    expect(await byPassword.readAccountMetadata(amk)).toEqual(recordFor(repo));
    // Opening with the password passes over the account slot without a word.
    expect(byPassword.problems).toEqual([]);
  });

  it('the key of another account does not open it, nor read its record', async () => {
    const { repoDir, repo } = await repoWithData('other-account');
    await repo.addAccountSlot(newAccountMasterKey(), recordFor(repo));
    const other = newAccountMasterKey();
    const err = await Repository.openWithAccountKey(new LocalFolderStorage(repoDir), other).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('NOT_FOUND');
    expect((err as EngineError).message).toBe(`no key of this account in ${repoDir}`);
    await expect(repo.readAccountMetadata(other)).rejects.toThrow(/no key of this account/);
  });

  it('a vault record or master key swapped between two slots does not open', async () => {
    const { repoDir, repo } = await repoWithData('swapped');
    const amk = newAccountMasterKey();
    const a = await repo.addAccountSlot(amk, recordFor(repo, 'First'));
    const b = await repo.addAccountSlot(amk, recordFor(repo, 'Second'));
    const fa = readJson(keyFile(repoDir, a));
    const fb = readJson(keyFile(repoDir, b));
    fs.writeFileSync(keyFile(repoDir, a), JSON.stringify({ ...fa, metadata: fb.metadata }));
    fs.writeFileSync(keyFile(repoDir, b), JSON.stringify({ ...fb, metadata: fa.metadata }));
    const opened = await Repository.openWithAccountKey(new LocalFolderStorage(repoDir), amk);
    const err = await opened.readAccountMetadata(amk).catch((e: unknown) => e);
    expect((err as EngineError).code).toBe('CORRUPT');
    expect((err as EngineError).message).toMatch(/does not open/);

    fs.writeFileSync(keyFile(repoDir, a), JSON.stringify({ ...fa, masterKey: fb.masterKey }));
    fs.writeFileSync(keyFile(repoDir, b), JSON.stringify({ ...fb, masterKey: fa.masterKey }));
    const refused = await Repository.openWithAccountKey(new LocalFolderStorage(repoDir), amk).catch(
      (e: unknown) => e,
    );
    expect((refused as EngineError).code).toBe('CORRUPT');
    expect((refused as EngineError).message).toMatch(/does not open: it was changed or damaged/);
  });

  it('refuses a vault record that names another repository, or is not one', async () => {
    const { repo } = await repoWithData('wrong-record');
    const amk = newAccountMasterKey();
    await expect(
      repo.addAccountSlot(amk, { ...recordFor(repo), repositoryId: 'ab'.repeat(16) }),
    ).rejects.toThrow(/names repository/);
    await expect(repo.addAccountSlot(amk, { ...recordFor(repo), name: '' })).rejects.toThrow(
      /not a vault record/,
    );
  });

  it('the last key that opens anything, password or account, cannot be removed; an envelope can', async () => {
    const { repoDir, repo } = await repoWithData('remove');
    const [passwordSlot] = fs.readdirSync(path.join(repoDir, 'keys'));
    const amk = newAccountMasterKey();
    const account = await repo.addAccountSlot(amk, recordFor(repo));
    const { envelope } = await envelopeFor(amk, 1);
    await writeEnvelope(repo.storage, envelope, await envelopeMacKey(amk));
    await repo.removeKey(passwordSlot!.slice(0, 10));
    await expect(repo.removeKey(account.slice(0, 10))).rejects.toThrow(/refusing to remove the last key/);
    await repo.removeKey((await envelopeFileName(envelope.accountUid)).slice(0, 10));
    expect(fs.readdirSync(path.join(repoDir, 'keys'))).toEqual([account]);
    // Opened with the password before, it now opens only with the account: and says so.
    const err = await openRepo(repoDir).catch((e: unknown) => e);
    expect((err as EngineError).message).toMatch(/has no password key: it opens with the key of the account/);
  });
});

describe('the drive envelope', () => {
  it('is written under its fixed name, read back, and replaced only by a higher generation', async () => {
    const { repoDir, repo } = await repoWithData('envelope');
    const amk = newAccountMasterKey();
    const { envelope } = await envelopeFor(amk, 5);
    const macKey = await envelopeMacKey(amk);
    expect(await readEnvelope(repo.storage, envelope.accountUid)).toBeUndefined();
    await writeEnvelope(repo.storage, envelope, macKey);
    const name = await envelopeFileName(envelope.accountUid);
    expect(fs.existsSync(keyFile(repoDir, name))).toBe(true);
    expect(await readEnvelope(repo.storage, envelope.accountUid)).toEqual({
      ...envelope,
      mac: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });

    // The wraps' own generation decides (bound in their AD), not the top-level field.
    const at = (generation: number, top = generation): EngineEnvelope => ({
      ...envelope,
      generation: top,
      recoveryWrap: { ...envelope.recoveryWrap, generation },
    });
    for (const generation of [4, 5]) {
      const err = await writeEnvelope(repo.storage, at(generation, 99), macKey).catch((e: unknown) => e);
      expect((err as EngineError).message).toMatch(
        new RegExp(`is at generation 5; refusing to replace it with generation ${generation}`),
      );
    }
    expect((await readEnvelope(repo.storage, envelope.accountUid))!.generation).toBe(5);
    // A top-level generation raised on the drive does not keep it.
    const forged = path.join(repoDir, 'keys', name);
    fs.chmodSync(forged, 0o600);
    fs.writeFileSync(forged, JSON.stringify({ ...envelope, generation: 2 ** 40 }));
    await writeEnvelope(repo.storage, at(6), macKey);
    expect((await readEnvelope(repo.storage, envelope.accountUid))!.generation).toBe(6);
    // Nor does a lower generation keep an envelope of another key id.
    await writeEnvelope(repo.storage, { ...at(1), keyId: 'a'.repeat(envelope.keyId.length) }, macKey);
    expect((await readEnvelope(repo.storage, envelope.accountUid))!.generation).toBe(1);
    // Replaced in place: no second file, no temporary left behind.
    expect(fs.readdirSync(path.join(repoDir, 'keys')).filter((n) => n.startsWith(name))).toEqual([name]);
    // Opening with the password passes over the envelope without a word.
    expect((await openRepo(repoDir)).problems).toEqual([]);
  });

  it('is refused when it is not a valid envelope, and over account storage', async () => {
    const { repo } = await repoWithData('envelope-refused');
    const amk = newAccountMasterKey();
    const { envelope } = await envelopeFor(amk, 1);
    const macKey = await envelopeMacKey(amk);
    await expect(writeEnvelope(repo.storage, { ...envelope, generation: 0 }, macKey)).rejects.toThrow(
      /not a drive envelope \(generation\)/,
    );
    const http = new RestHttpStorage('rest:http://127.0.0.1:9/storage/ann/vault/', 'token');
    await expect(writeEnvelope(http, envelope, macKey)).rejects.toThrow(/belongs only in a folder vault/);
  });

  it('kept over an equal generation only while its check verifies: a planted one that does not is replaced', async () => {
    const { repoDir, repo } = await repoWithData('envelope-planted');
    const amk = newAccountMasterKey();
    const { envelope } = await envelopeFor(amk, 5);
    const macKey = await envelopeMacKey(amk);
    await writeEnvelope(repo.storage, envelope, macKey);
    const file = keyFile(repoDir, await envelopeFileName(envelope.accountUid));
    // Wraps that do not open (their generation is bound in the AD), at a generation of the planter's own.
    const planted = {
      ...readJson(file),
      generation: 2 ** 40,
      recoveryWrap: { ...envelope.recoveryWrap, generation: 2 ** 40 },
    };
    fs.chmodSync(file, 0o600);
    fs.writeFileSync(file, JSON.stringify(planted));
    await writeEnvelope(repo.storage, envelope, macKey);
    expect((await readEnvelope(repo.storage, envelope.accountUid))!.generation).toBe(5);
  });

  it('is refused when opening once changed on the drive; one written without a check still opens', async () => {
    const { repoDir, repo } = await repoWithData('envelope-tampered');
    const [passwordSlot] = fs.readdirSync(path.join(repoDir, 'keys'));
    const amk = newAccountMasterKey();
    await repo.addAccountSlot(amk, recordFor(repo));
    const { envelope, recovery } = await envelopeFor(amk, 3);
    await writeEnvelope(repo.storage, envelope, await envelopeMacKey(amk));
    await repo.removeKey(passwordSlot!);
    const file = keyFile(repoDir, await envelopeFileName(envelope.accountUid));
    const sealed = readJson(file);
    fs.chmodSync(file, 0o600);
    const storage = new LocalFolderStorage(repoDir);

    // The wraps still open, but the fields beside them were rewritten.
    for (const changed of [{ generation: 2 ** 40 }, { server: 'https://evil.example' }]) {
      fs.writeFileSync(file, JSON.stringify({ ...sealed, ...changed }));
      const err = await Repository.openWithRecoveryKey(storage, recovery).catch((e: unknown) => e);
      expect((err as EngineError).code).toBe('CORRUPT');
      expect((err as EngineError).message).toMatch(/was changed on the drive/);
    }
    fs.writeFileSync(file, JSON.stringify({ ...sealed, mac: `${'A'.repeat(42)}E` }));
    await expect(Repository.openWithRecoveryKey(storage, recovery)).rejects.toThrow(
      /was changed on the drive/,
    );

    // As an older version wrote it: no check at all.
    const { mac: _mac, ...unchecked } = sealed;
    fs.writeFileSync(file, JSON.stringify(unchecked));
    const opened = await Repository.openWithRecoveryKey(storage, recovery);
    expect(await opened.readAccountMetadata(amk)).toEqual(recordFor(repo));
  });
});

describe('the CLI with the recovery key', () => {
  it('restores a file from a folder vault with nothing but the account recovery key', async () => {
    const { base, repoDir, repo, src } = await repoWithData('cli-recovery');
    const [passwordSlot] = fs.readdirSync(path.join(repoDir, 'keys'));
    const amk = newAccountMasterKey();
    await repo.addAccountSlot(amk, recordFor(repo));
    const { envelope, recovery } = await envelopeFor(amk, 2);
    await writeEnvelope(repo.storage, envelope, await envelopeMacKey(amk));
    // No password slot left: only the account (through the envelope) opens it.
    await repo.removeKey(passwordSlot!);
    const text = await formatRecoveryKey(recovery);

    const target = path.join(base, 'restored');
    const r = await runCli(['-r', repoDir, 'restore', 'latest', '--target', target], {
      STRONGROOM_RECOVERY_KEY: text.toLowerCase(),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(target, src, 'photo.jpg'))).toEqual(
      fs.readFileSync(path.join(src, 'photo.jpg')),
    );
    expect(r.stdout + r.stderr).not.toContain(text);

    const file = path.join(base, 'recovery-key.txt');
    fs.writeFileSync(file, `${text}\n`);
    const list = await runCli(['-r', repoDir, '--recovery-key-file', file, 'key', 'list']);
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(
      lines.find((l) => l.includes(' account ')),
      list.stdout,
    ).toContain('key id ');
    expect(lines.find((l) => l.includes(' envelope '))).toContain(
      `account ${envelope.accountUid}, generation 2`,
    );

    const wrong = await runCli(['-r', repoDir, 'snapshots', '--json'], {
      STRONGROOM_RECOVERY_KEY: await formatRecoveryKey(newRecoveryKey()),
    });
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout)).toEqual({
      error: {
        code: 'WRONG_PASSWORD',
        message: expect.stringMatching(/the recovery key opens no drive envelope/),
      },
    });
    const typo = await runCli(['-r', repoDir, 'snapshots'], {
      STRONGROOM_RECOVERY_KEY: `${text.slice(0, -1)}Z`,
    });
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/typo/);
    expect(typo.stderr).not.toContain(text.slice(0, 20));
    const both = await runCli(['-r', repoDir, '--recovery-key-file', file, 'snapshots'], {
      STRONGROOM_PASSWORD: PASSWORD,
    });
    expect(both.code).toBe(2);
    expect((await runCli(['-r', repoDir, 'snapshots', '--recovery-key', text])).code).toBe(2);
  }, 120_000);

  it('key list names each kind, and a damaged key file, in text and --json', async () => {
    const { repoDir, repo } = await repoWithData('cli-list');
    const amk = newAccountMasterKey();
    await repo.addAccountSlot(amk, recordFor(repo));
    const { envelope } = await envelopeFor(amk, 9);
    await writeEnvelope(repo.storage, envelope, await envelopeMacKey(amk));
    const damaged = toHex(randomBytes(32));
    fs.writeFileSync(keyFile(repoDir, damaged), '{"version": 1,');
    const env = { STRONGROOM_PASSWORD: PASSWORD };
    const text = await runCli(['-r', repoDir, 'key', 'list'], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/ password {2}/);
    expect(text.stdout).toMatch(/ account {3}key id [0-9a-f ]{39} /);
    expect(text.stdout).toContain(`envelope  account ${envelope.accountUid}, generation 9`);
    expect(text.stdout).toContain(`${damaged.slice(0, 8)}  DAMAGED   not JSON (damaged or truncated)`);
    const json = await runCli(['-r', repoDir, 'key', 'list', '--json'], env);
    const kinds = (JSON.parse(json.stdout) as { kind: string }[]).map((k) => k.kind).sort();
    expect(kinds).toEqual(['account', 'damaged', 'envelope', 'password']);
  }, 60_000);
});
