/**
 * Key files that cannot be used are named, never passed off as a wrong password, and none can make the
 * engine run scrypt beyond the shared bound: such a file is skipped before anything is allocated.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { EngineError, LocalFolderStorage, Repository } from '../../src-engine/index';
import { newRepo, openRepo, PASSWORD, runCli, tempDir } from './helpers';

const env = { STRONGROOM_PASSWORD: PASSWORD };
let work: string;
beforeAll(async () => {
  work = await tempDir('key-files');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function repoWithOneKey(label: string): Promise<{ repoDir: string; keyId: string; keyFile: string }> {
  const repoDir = path.join(work, label);
  await newRepo(repoDir);
  const [keyId] = fs.readdirSync(path.join(repoDir, 'keys'));
  return { repoDir, keyId: keyId!, keyFile: path.join(repoDir, 'keys', keyId!) };
}

/** Another key file beside the existing ones, with `edit` applied to a copy of a real password slot. */
function addEditedSlot(repoDir: string, edit: (slot: Record<string, unknown>) => void): string {
  const keys = path.join(repoDir, 'keys');
  const slot = JSON.parse(fs.readFileSync(path.join(keys, fs.readdirSync(keys)[0]!), 'utf8')) as Record<
    string,
    unknown
  >;
  edit(slot);
  const id = crypto.randomBytes(32).toString('hex');
  fs.writeFileSync(path.join(keys, id), JSON.stringify(slot));
  return id;
}

/** AES-256-GCM as docs/repository-format.md has it: nonce(12) | ciphertext | tag(16). */
function openSealed(key: Buffer, sealed: Buffer, aad: string): Buffer {
  const d = crypto.createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]);
}

describe('the password slot format', () => {
  it('is what docs/repository-format.md says: scrypt(NFC(password)) wraps the master key with AAD "strongroom key <id> v1"', async () => {
    const { repoDir, keyId, keyFile } = await repoWithOneKey('format');
    const slot = JSON.parse(fs.readFileSync(keyFile, 'utf8')) as {
      kdf: { N: number; r: number; p: number; salt: string };
      masterKey: string;
    };
    const wrap = crypto.scryptSync(
      PASSWORD.normalize('NFC'),
      Buffer.from(slot.kdf.salt, 'base64'),
      32,
      slot.kdf,
    );
    const master = openSealed(wrap, Buffer.from(slot.masterKey, 'base64'), `strongroom key ${keyId} v1`);
    expect(master).toHaveLength(32);
    // The config opens under the master key's encrypt subkey: this is the repository's key.
    const encrypt = Buffer.from(
      crypto.hkdfSync('sha256', master, Buffer.alloc(0), 'strongroom v1 encrypt', 32),
    );
    const config = openSealed(encrypt, fs.readFileSync(path.join(repoDir, 'config')), 'strongroom config v1');
    expect(config[0]).toBeLessThanOrEqual(1);
  });
});

describe('a damaged key file', () => {
  it('that is the only one is named as damaged, not answered with "wrong password"', async () => {
    const { repoDir, keyId, keyFile } = await repoWithOneKey('truncated');
    fs.truncateSync(keyFile, 50);
    const r = await runCli(['-r', repoDir, 'snapshots', '--json'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/wrong password/);
    expect(r.stderr).toContain(`keys/${keyId}`);
    expect(r.stderr).toMatch(/damaged/);
    const error = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('CORRUPT');
    expect(error.message).toMatch(new RegExp(`no key file in .* can be used: keys/${keyId.slice(0, 16)}`));
  });

  it('beside a good one is skipped and named, and the good one opens the repository', async () => {
    const { repoDir } = await repoWithOneKey('beside');
    const bad = crypto.randomBytes(32).toString('hex');
    fs.writeFileSync(path.join(repoDir, 'keys', bad), '{"version": 1, "kdf": ');
    const problems: string[] = [];
    const repo = await Repository.open(new LocalFolderStorage(repoDir), PASSWORD, {
      onProblem: (p) => problems.push(`${p.file}: ${p.reason}`),
    });
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^keys/${bad}: .*damaged`))]);
    expect(repo.problems.map((p) => p.file)).toEqual([`keys/${bad}`]);
    const cli = await runCli(['-r', repoDir, 'snapshots'], env);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stderr).toContain(`warning: keys/${bad}: `);
  });

  it('with a wrong password beside it: "wrong password", naming what was skipped', async () => {
    const { repoDir } = await repoWithOneKey('wrong-beside');
    const bad = crypto.randomBytes(32).toString('hex');
    fs.writeFileSync(path.join(repoDir, 'keys', bad), 'garbage');
    const err = await Repository.open(new LocalFolderStorage(repoDir), 'not it').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('WRONG_PASSWORD');
    expect((err as EngineError).message).toContain(`keys/${bad.slice(0, 16)}`);
  });
});

describe('scrypt parameters in a key file', () => {
  it('beyond the bound are refused before any scrypt call, and named', async () => {
    const { repoDir, keyFile } = await repoWithOneKey('absurd');
    // The parameters that made the engine allocate 7.9 GB.
    const id = addEditedSlot(repoDir, (slot) => {
      (slot.kdf as Record<string, unknown>).N = 4194304;
      (slot.kdf as Record<string, unknown>).r = 32;
      (slot.kdf as Record<string, unknown>).p = 16;
    });
    fs.rmSync(keyFile);
    const scrypt = vi.spyOn(crypto, 'scrypt').mockImplementation(() => {
      throw new Error('scrypt must not run for these parameters');
    });
    const err = await openRepo(repoDir).catch((e: unknown) => e);
    expect(scrypt).not.toHaveBeenCalled();
    expect((err as EngineError).code).toBe('CORRUPT');
    expect((err as EngineError).message).toMatch(new RegExp(`keys/${id.slice(0, 16)}.*: .*16384 MiB`));
  });

  it('that are garbage are skipped and named, and the other slots still open', async () => {
    const { repoDir } = await repoWithOneKey('garbage');
    const notNumbers = addEditedSlot(repoDir, (slot) => {
      (slot.kdf as Record<string, unknown>).N = 'lots';
    });
    const notPowerOfTwo = addEditedSlot(repoDir, (slot) => {
      (slot.kdf as Record<string, unknown>).N = 3000;
    });
    const tooMuchWork = addEditedSlot(repoDir, (slot) => {
      (slot.kdf as Record<string, unknown>).N = 2 ** 20;
      (slot.kdf as Record<string, unknown>).r = 8;
      (slot.kdf as Record<string, unknown>).p = 16;
    });
    const scrypt = vi.spyOn(crypto, 'scrypt');
    const repo = await openRepo(repoDir);
    // Only the good slot ran scrypt, with its own small parameters.
    for (const call of scrypt.mock.calls) expect((call[3] as { N: number }).N).toBeLessThanOrEqual(2 ** 15);
    const named = repo.problems.map((p) => p.file).sort();
    expect(named).toEqual([notNumbers, notPowerOfTwo, tooMuchWork].map((id) => `keys/${id}`).sort());
    expect(repo.problems.find((p) => p.file === `keys/${notPowerOfTwo}`)!.reason).toMatch(/power of two/);
  });

  it('of a new key are held to the same bound', async () => {
    const { repoDir } = await repoWithOneKey('add-absurd');
    const repo = await openRepo(repoDir);
    await expect(repo.addKey('another', { N: 2 ** 22, r: 32, p: 16 })).rejects.toThrow(/16384 MiB/);
  });
});

describe('key files of other kinds', () => {
  it('a restic key is named as not usable here; with no other slot that is the answer', async () => {
    const { repoDir, keyFile } = await repoWithOneKey('restic');
    const resticKey = {
      created: '2026-01-01T00:00:00Z',
      username: 'ann',
      hostname: 'laptop',
      kdf: 'scrypt',
      N: 32768,
      r: 8,
      p: 1,
      salt: crypto.randomBytes(64).toString('base64'),
      data: crypto.randomBytes(160).toString('base64'),
    };
    const id = crypto.randomBytes(32).toString('hex');
    fs.writeFileSync(path.join(repoDir, 'keys', id), JSON.stringify(resticKey));
    const repo = await openRepo(repoDir);
    expect(repo.problems).toEqual([
      { file: `keys/${id}`, reason: expect.stringMatching(/a restic key, not usable here/), kind: 'foreign' },
    ]);
    fs.rmSync(keyFile);
    const err = await openRepo(repoDir).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/a restic key, not usable here/);
    expect((err as Error).message).not.toMatch(/wrong password/);
  });
});
