/**
 * The files in `keys/`: password slots, account slots, the drive envelope, and restic's keys, which
 * are named and never used (docs/repository-format.md, "Keys"). src-shared/repository-key-files.ts is
 * the one parser, and holds the one scrypt bound: a file outside it is skipped, and named, before any
 * memory is allocated. Everything here reads or writes key files; sealed repository files are elsewhere.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import {
  KEY_FILE_MAX_BYTES,
  engineEnvelope,
  envelopeFileName,
  parseKeyFile,
  type EngineAccountSlot,
  type EngineEnvelope,
  type EnginePasswordSlot,
  type KeyFile,
} from '../../src-shared/repository-key-files';
import {
  AccountKeyError,
  constantTimeEqual,
  envelopeMacKey,
  fromBase64url,
  hmacSha256,
  keyIdOf,
  passwordKeys,
  parseRecoveryKey,
  recoveryKeys,
  toBase64url,
  unwrapAmk,
  vaultSlotKey,
} from '../../src-shared/account-crypto';
import { vaultRecord, type VaultRecord } from '../../src-shared/account-keys';
import { EngineError } from '../errors';
import type { Storage } from '../storage';
import { deriveWrappingKey, open, randomHex, seal, type ScryptParams } from './crypto';

/** Key and lock files have random names: 256-bit now (the REST server takes only 64 hex), 128-bit in older repositories. */
export const RANDOM_NAME = /^(?:[0-9a-f]{32}|[0-9a-f]{64})$/;

/**
 * Told of each key file that cannot be used: `keys/<id>`, the sentence the CLI prints, whether it is
 * damaged or not this repository's kind of file (restic's key, a stray name), and for a damaged one
 * why it cannot be used, without the CLI's advice.
 */
export type KeyProblem = (file: string, reason: string, kind: 'damaged' | 'foreign', cause?: string) => void;

/** One file of `keys/`: its kind and fields, or why it cannot be used. */
export type KeyFileEntry = { id: string } & ({ ok: true; key: KeyFile } | { ok: false; reason: string });

/** What `key list` shows of each key file: enough to tell them apart, nothing secret. */
export type KeyListing =
  | { id: string; kind: 'password'; created: string; host: string; username: string }
  | { id: string; kind: 'account'; keyId: string; created: string; host: string; username: string }
  | {
      id: string;
      kind: 'envelope';
      accountUid: string;
      keyId: string;
      generation: number;
      server: string;
      created: string;
      username: string;
    }
  | { id: string; kind: 'restic'; created: string; host: string; username: string }
  | { id: string; kind: 'damaged'; reason: string };

const slotAad = (id: string) => Buffer.from(`strongroom key ${id} v1`);
const accountAad = (id: string) => Buffer.from(`strongroom key ${id} account v1`);
const metadataAad = (id: string) => Buffer.from(`strongroom key ${id} account metadata v1`);

const RESTIC_KEY = 'a restic key, not usable here';

/**
 * The key files among `names`, each parsed. The size is asked first, so a huge file is never read
 * into memory; a file that cannot be read at all counts as unusable, like a damaged one.
 */
export async function readKeyFiles(storage: Storage, names: string[]): Promise<KeyFileEntry[]> {
  const out: KeyFileEntry[] = [];
  for (const id of names) {
    const file = `keys/${id}`;
    try {
      const size = await storage.size(file);
      if (size > KEY_FILE_MAX_BYTES) {
        out.push({ id, ok: false, reason: `larger than ${KEY_FILE_MAX_BYTES} bytes, so not a key file` });
        continue;
      }
      const parsed = parseKeyFile(await storage.read(file));
      out.push(parsed.ok ? { id, ok: true, key: parsed.key } : { id, ok: false, reason: parsed.reason });
    } catch (err) {
      out.push({ id, ok: false, reason: `cannot be read (${(err as Error).message})` });
    }
  }
  return out;
}

/** The key files of a storage, before a repository is open: stray names are named and left out. */
async function keyFilesOf(storage: Storage, problem: KeyProblem): Promise<KeyFileEntry[]> {
  if (!(await storage.exists('config')) || !(await storage.exists('keys'))) {
    throw new EngineError('NO_REPOSITORY', `no Strongroom repository at ${storage.location}`);
  }
  const names: string[] = [];
  for (const name of await storage.list('keys')) {
    if (RANDOM_NAME.test(name)) names.push(name);
    else problem(`keys/${name}`, 'not a repository file; ignored', 'foreign');
  }
  if (names.length === 0) throw new EngineError('CORRUPT', `repository ${storage.location} has no key files`);
  return readKeyFiles(storage, names);
}

const short = (id: string) => `keys/${id.slice(0, 16)}`;

/**
 * The master key from the first password slot the password opens. Account slots and envelopes are not
 * password slots and are passed over silently; every other file that cannot be used is named. Only
 * when some usable slot was tried is the answer "wrong password".
 */
export async function openPasswordSlot(
  storage: Storage,
  password: string,
  problem: KeyProblem,
): Promise<{ master: Buffer; slot: string }> {
  const files = await keyFilesOf(storage, problem);
  // Every file that cannot be used is named, whichever slot opens.
  const unusable: string[] = [];
  for (const f of files) {
    const why = !f.ok ? f.reason : f.key.kind === 'restic' ? RESTIC_KEY : undefined;
    if (why === undefined) continue;
    if (f.ok) problem(`keys/${f.id}`, `${why}; skipped`, 'foreign');
    else problem(`keys/${f.id}`, `${why}; skipped`, 'damaged', why);
    unusable.push(`${short(f.id)}: ${why}`);
  }
  let tried = 0;
  let accountSlots = 0;
  for (const f of files) {
    if (!f.ok) continue;
    if (f.key.kind === 'account') accountSlots++;
    if (f.key.kind !== 'password') continue;
    tried++;
    const master = await tryPasswordSlot(f.id, f.key.file, password);
    if (master) return { master, slot: f.id };
  }
  if (tried > 0) {
    throw new EngineError(
      'WRONG_PASSWORD',
      `wrong password: no key in ${storage.location} opens with it` +
        (unusable.length ? ` (skipped: ${unusable.join('; ')})` : ''),
    );
  }
  if (unusable.length === 0) {
    throw new EngineError(
      'NOT_FOUND',
      `${storage.location} has no password key: it opens with the key of the account that owns it` +
        (accountSlots ? '' : ' (and has no account key either)'),
    );
  }
  throw new EngineError(
    'CORRUPT',
    `no key file in ${storage.location} can be used: ${unusable.join('; ')}` +
      (accountSlots ? `; ${accountSlots} account key(s) open only with the account's key` : ''),
  );
}

async function tryPasswordSlot(
  id: string,
  slot: EnginePasswordSlot,
  password: string,
): Promise<Buffer | undefined> {
  // The parser already held N, r and p to the shared bound; deriveWrappingKey checks again.
  const wrap = await deriveWrappingKey(password, Buffer.from(slot.kdf.salt, 'base64'), slot.kdf);
  try {
    const master = open(wrap, Buffer.from(slot.masterKey, 'base64'), slotAad(id), `keys/${id}`);
    return master.length === 32 ? master : undefined;
  } catch {
    return undefined; // wrong password for this slot; the caller tries the next
  }
}

/** Writes a new password slot for `master`; returns its id. */
export async function writePasswordSlot(
  storage: Storage,
  master: Buffer,
  password: string,
  params: ScryptParams,
): Promise<string> {
  if (!password) throw new EngineError('INVALID_ARGUMENT', 'the password must not be empty');
  // 256 bits, like restic's names: the account storage takes only 64-hex file names.
  const id = randomHex(32);
  const salt = crypto.randomBytes(32);
  const wrap = await deriveWrappingKey(password, salt, params);
  const slot: EnginePasswordSlot = {
    version: 1,
    created: new Date().toISOString(),
    host: os.hostname(),
    username: os.userInfo().username,
    kdf: { name: 'scrypt', N: params.N, r: params.r, p: params.p, salt: salt.toString('base64') },
    masterKey: seal(wrap, master, slotAad(id)).toString('base64'),
  };
  await writeKeyFile(storage, id, slot);
  return id;
}

/** Writes a key file only if the one parser takes it back as what it is. */
async function writeKeyFile(storage: Storage, id: string, file: KeyFile['file']): Promise<void> {
  const bytes = Buffer.from(JSON.stringify(file, null, 2));
  const parsed = parseKeyFile(bytes);
  if (!parsed.ok) throw new EngineError('INVALID_ARGUMENT', `refusing to write keys/${id}: ${parsed.reason}`);
  await storage.write(`keys/${id}`, bytes);
}

// ---- account slots ----

/**
 * What an account slot is sealed with: the AMK's vault slot key and the AMK's key id (public). The
 * desktop app's job process is given this, never the AMK itself.
 */
export interface AccountSlotKey {
  slotKey: Uint8Array;
  keyId: string;
}

/** The slot key and key id of an AMK. */
export async function accountSlotKey(amk: Uint8Array): Promise<AccountSlotKey> {
  if (amk.length !== 32) throw new EngineError('INVALID_ARGUMENT', 'an account master key is 32 bytes');
  return { slotKey: await vaultSlotKey(amk), keyId: await keyIdOf(amk) };
}

/** An AMK, or its slot key already derived: either seals and opens account slots. */
export type AccountKeyMaterial = Uint8Array | AccountSlotKey;

async function slotKeyOf(key: AccountKeyMaterial): Promise<{ slotKey: Buffer; keyId: string }> {
  const k = key instanceof Uint8Array ? await accountSlotKey(key) : key;
  if (k.slotKey.length !== 32) throw new EngineError('INVALID_ARGUMENT', 'a vault slot key is 32 bytes');
  if (!/^[0-9a-f]{32}$/.test(k.keyId)) throw new EngineError('INVALID_ARGUMENT', 'not a key id');
  return { slotKey: Buffer.from(k.slotKey), keyId: k.keyId };
}

/**
 * The master key from the account slot whose key id is the AMK's. A slot with another key id is never
 * tried; a slot with this key id that does not open was changed or damaged.
 */
export async function openAccountSlot(
  storage: Storage,
  amk: AccountKeyMaterial,
  problem: KeyProblem,
): Promise<{ master: Buffer; slot: string }> {
  const { slotKey, keyId } = await slotKeyOf(amk);
  const files = await keyFilesOf(storage, problem);
  for (const f of files) if (!f.ok) problem(`keys/${f.id}`, `${f.reason}; skipped`, 'damaged', f.reason);
  let matching = 0;
  for (const f of files) {
    if (!f.ok || f.key.kind !== 'account' || f.key.file.keyId !== keyId) continue;
    matching++;
    const master = openAccountMaster(f.id, f.key.file, slotKey);
    if (master) return { master, slot: f.id };
    const cause = 'the account key of this account does not open it (changed or damaged)';
    problem(`keys/${f.id}`, `${cause}; skipped`, 'damaged', cause);
  }
  if (matching > 0) {
    throw new EngineError(
      'CORRUPT',
      `the key of this account in ${storage.location} does not open: it was changed or damaged`,
    );
  }
  throw new EngineError('NOT_FOUND', `no key of this account in ${storage.location}`);
}

function openAccountMaster(id: string, slot: EngineAccountSlot, slotKey: Buffer): Buffer | undefined {
  try {
    const master = open(slotKey, Buffer.from(slot.masterKey, 'base64'), accountAad(id), `keys/${id}`);
    return master.length === 32 ? master : undefined;
  } catch {
    return undefined;
  }
}

/** Writes an account slot for `master`, with the vault's directory record sealed beside it; returns its id. */
export async function writeAccountSlot(
  storage: Storage,
  master: Buffer,
  key: AccountKeyMaterial,
  record: VaultRecord,
): Promise<string> {
  const checked = vaultRecord.safeParse(record);
  if (!checked.success) {
    throw new EngineError('INVALID_ARGUMENT', `not a vault record: ${checked.error.issues[0]?.message}`);
  }
  const { slotKey, keyId } = await slotKeyOf(key);
  const id = randomHex(32);
  const slot: EngineAccountSlot = {
    version: 1,
    type: 'strongroom-account',
    created: new Date().toISOString(),
    host: os.hostname(),
    username: os.userInfo().username,
    keyId,
    masterKey: seal(slotKey, master, accountAad(id)).toString('base64'),
    metadata: seal(slotKey, Buffer.from(JSON.stringify(checked.data)), metadataAad(id)).toString('base64'),
  };
  await writeKeyFile(storage, id, slot);
  return id;
}

/**
 * The account slots of this key among `names` that hold `master`, each with its vault record (null
 * when the record does not open or is not one: changed, damaged, or moved from another slot).
 */
export async function findAccountSlots(
  storage: Storage,
  names: string[],
  master: Buffer,
  key: AccountKeyMaterial,
): Promise<{ id: string; record: VaultRecord | null }[]> {
  const { slotKey, keyId } = await slotKeyOf(key);
  const out: { id: string; record: VaultRecord | null }[] = [];
  for (const f of await readKeyFiles(storage, names)) {
    if (!f.ok || f.key.kind !== 'account' || f.key.file.keyId !== keyId) continue;
    const opened = openAccountMaster(f.id, f.key.file, slotKey);
    if (!opened?.equals(master)) continue;
    let record: VaultRecord | null = null;
    try {
      const plain = open(
        slotKey,
        Buffer.from(f.key.file.metadata, 'base64'),
        metadataAad(f.id),
        `keys/${f.id}`,
      );
      const parsed = vaultRecord.safeParse(JSON.parse(plain.toString('utf8')));
      if (parsed.success) record = parsed.data;
    } catch {
      // changed, or moved here from another slot: no record
    }
    out.push({ id: f.id, record });
  }
  return out;
}

/**
 * The vault record sealed in the account slot of this AMK that holds `master`. Its associated data
 * names its slot, so a record moved from another slot does not open.
 */
export async function readAccountSlotMetadata(
  storage: Storage,
  names: string[],
  master: Buffer,
  key: AccountKeyMaterial,
): Promise<VaultRecord> {
  const slots = await findAccountSlots(storage, names, master, key);
  const found = slots.find((s) => s.record !== null);
  if (found) return found.record!;
  if (slots.length > 0) {
    throw new EngineError(
      'CORRUPT',
      `the vault record in keys/${slots[0]!.id} does not open or is not a vault record (changed, damaged or moved from another key)`,
    );
  }
  throw new EngineError('NOT_FOUND', `no key of this account in ${storage.location}`);
}

// ---- listing ----

export function describeKeyFile(f: KeyFileEntry): KeyListing {
  if (!f.ok) return { id: f.id, kind: 'damaged', reason: f.reason };
  const k = f.key;
  switch (k.kind) {
    case 'password':
      return {
        id: f.id,
        kind: 'password',
        created: k.file.created,
        host: k.file.host,
        username: k.file.username,
      };
    case 'account':
      return {
        id: f.id,
        kind: 'account',
        keyId: k.file.keyId,
        created: k.file.created,
        host: k.file.host,
        username: k.file.username,
      };
    case 'envelope':
      return {
        id: f.id,
        kind: 'envelope',
        accountUid: k.file.accountUid,
        keyId: k.file.keyId,
        generation: k.file.generation,
        server: k.file.server,
        created: k.file.created,
        username: k.file.username,
      };
    case 'restic':
      return {
        id: f.id,
        kind: 'restic',
        created: k.file.created,
        host: k.file.hostname,
        username: k.file.username,
      };
  }
}

/** Password and account slots: the key files that open the repository. */
export const opensRepository = (f: KeyFileEntry): boolean =>
  f.ok && (f.key.kind === 'password' || f.key.kind === 'account');

// ---- the drive envelope ----

/** The account's envelope in `storage`, or undefined when there is none. A damaged one is an error. */
export async function readEnvelope(
  storage: Storage,
  accountUid: string,
): Promise<EngineEnvelope | undefined> {
  const id = await envelopeFileName(accountUid);
  if (!(await storage.exists(`keys/${id}`))) return undefined;
  const [f] = await readKeyFiles(storage, [id]);
  if (!f!.ok) throw new EngineError('CORRUPT', `the drive envelope keys/${id} is damaged: ${f!.reason}`);
  if (f!.key.kind !== 'envelope' || f!.key.file.accountUid !== accountUid) {
    throw new EngineError('CORRUPT', `keys/${id} is not this account's drive envelope`);
  }
  return f!.key.file;
}

/**
 * The generation an envelope's wraps were made at. Each wrap's own generation is bound in its AD,
 * so raising it breaks the wrap; the envelope's top-level `generation` is a plain field that anyone
 * with the drive can rewrite, and is never what decides whether an envelope is replaced.
 */
export function envelopeWrapGeneration(envelope: EngineEnvelope): number {
  return Math.max(envelope.recoveryWrap.generation, envelope.passwordWrap?.generation ?? 0);
}

const ENVELOPE_MAC_LABEL = 'strongroom envelope mac v1\n';

/** Every field but `mac`, keys sorted at every level, no spaces: the bytes the check covers. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The envelope's check: HMAC-SHA-256, under the AMK's drive envelope MAC key, of a label and the
 * canonical JSON of every other field. The wraps bind only their own fields; this binds the rest
 * (the top-level generation, the server, the username), so only a holder of the AMK can write an
 * envelope that is kept, or that opens.
 */
export async function envelopeMac(envelope: EngineEnvelope, macKey: Uint8Array): Promise<string> {
  if (macKey.length !== 32) throw new EngineError('INVALID_ARGUMENT', 'a drive envelope MAC key is 32 bytes');
  const { mac: _mac, ...content } = envelope;
  const message = new TextEncoder().encode(ENVELOPE_MAC_LABEL + canonicalJson(content));
  return toBase64url(await hmacSha256(macKey, message));
}

/** Whether an envelope's check holds: `missing` for one written before envelopes carried one. */
export async function envelopeCheck(
  envelope: EngineEnvelope,
  macKey: Uint8Array,
): Promise<'verified' | 'failed' | 'missing'> {
  if (envelope.mac === undefined) return 'missing';
  const expected = fromBase64url(await envelopeMac(envelope, macKey));
  return constantTimeEqual(fromBase64url(envelope.mac), expected) ? 'verified' : 'failed';
}

/**
 * Writes the account's envelope into a folder vault with its check, over one of a lower generation
 * only, or one whose check does not verify (missing, forged or damaged: it proves nothing). The
 * folder storage writes a temporary file and renames it over the old one, so a reader sees the old
 * envelope or the new one, never a mix. Only folder vaults carry one: account storage keeps its
 * wraps on the server, which never overwrites a file.
 */
export async function writeEnvelope(
  storage: Storage,
  envelope: EngineEnvelope,
  macKey: Uint8Array,
): Promise<void> {
  if (storage.descriptor.kind !== 'local') {
    throw new EngineError(
      'INVALID_ARGUMENT',
      `a drive envelope belongs only in a folder vault; ${storage.location} is not one`,
    );
  }
  const checked = engineEnvelope.safeParse(envelope);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new EngineError(
      'INVALID_ARGUMENT',
      `not a drive envelope (${issue?.path.join('.')}): ${issue?.message}`,
    );
  }
  if (!(await storage.exists('config')) || !(await storage.exists('keys'))) {
    throw new EngineError('NO_REPOSITORY', `no Strongroom repository at ${storage.location}`);
  }
  const existing = await readEnvelope(storage, envelope.accountUid).catch((err: unknown) => {
    if (err instanceof EngineError && err.code === 'CORRUPT') return undefined;
    throw err;
  });
  if (
    existing &&
    existing.keyId === checked.data.keyId &&
    envelopeWrapGeneration(existing) >= envelopeWrapGeneration(checked.data) &&
    (await envelopeCheck(existing, macKey)) === 'verified'
  ) {
    throw new EngineError(
      'INVALID_ARGUMENT',
      `the drive envelope in ${storage.location} is at generation ${envelopeWrapGeneration(existing)}; refusing to replace it with generation ${envelopeWrapGeneration(checked.data)}`,
    );
  }
  const sealed = { ...checked.data, mac: await envelopeMac(checked.data, macKey) };
  await writeKeyFile(storage, await envelopeFileName(envelope.accountUid), sealed);
}

/**
 * The AMK an envelope's wrap gave, once its check holds; a changed envelope is refused whatever its
 * wraps open to. An envelope without a check (written before envelopes carried one) is accepted as
 * before: its wraps still bind their own fields, and the next write from the app adds the check.
 */
async function checkedAmk(storage: Storage, envelope: EngineEnvelope, amk: Uint8Array): Promise<Uint8Array> {
  const macKey = await envelopeMacKey(amk);
  let check: 'verified' | 'failed' | 'missing';
  try {
    check = await envelopeCheck(envelope, macKey);
  } finally {
    macKey.fill(0);
  }
  if (check === 'verified') return amk;
  if (check === 'missing' && !(await envelopesCarryMac(storage, amk))) return amk;
  amk.fill(0);
  throw new EngineError(
    'CORRUPT',
    `the drive envelope in ${storage.location} was changed on the drive since the app wrote it, so it is not used: open the vault from the account instead, and the app writes a new one`,
  );
}

/**
 * Whether this AMK's account slot records that the repository's envelopes carry a check (written
 * by the app once it wrote a checked envelope). No slot of this key, or none that opens: false,
 * so a drive from before envelopes carried a check still opens.
 */
async function envelopesCarryMac(storage: Storage, amk: Uint8Array): Promise<boolean> {
  const ignore: KeyProblem = () => {};
  let master: Buffer;
  try {
    ({ master } = await openAccountSlot(storage, amk, ignore));
  } catch (err) {
    if (err instanceof EngineError && (err.code === 'NOT_FOUND' || err.code === 'CORRUPT')) return false;
    throw err;
  }
  try {
    const names = (await storage.list('keys')).filter((n) => RANDOM_NAME.test(n));
    const slots = await findAccountSlots(storage, names, master, amk);
    return slots.some((s) => s.record?.envelopeMac === true);
  } finally {
    master.fill(0);
  }
}

/**
 * The AMK, from the envelope in `storage` that the account's recovery key opens (each envelope is
 * tried: a drive may carry the envelopes of several accounts).
 */
export async function amkFromRecoveryKey(
  storage: Storage,
  recoveryKey: Uint8Array,
  problem: KeyProblem,
): Promise<Uint8Array> {
  const envelopes = (await keyFilesOf(storage, problem)).flatMap((f) =>
    f.ok && f.key.kind === 'envelope' ? [f.key.file] : [],
  );
  if (envelopes.length === 0) {
    throw new EngineError(
      'NOT_FOUND',
      `no drive envelope in ${storage.location}: it does not open with a recovery key (only with its password, or from the account)`,
    );
  }
  const { wrapKey } = await recoveryKeys(recoveryKey);
  try {
    for (const env of envelopes) {
      const ctx = {
        accountUid: env.accountUid,
        kind: 'recovery' as const,
        generation: env.recoveryWrap.generation,
        keyId: env.keyId,
      };
      let amk: Uint8Array;
      try {
        amk = await unwrapAmk(env.recoveryWrap.sealed, wrapKey, ctx);
      } catch (err) {
        if (!(err instanceof AccountKeyError)) throw err;
        continue;
      }
      return await checkedAmk(storage, env, amk);
    }
  } finally {
    wrapKey.fill(0);
  }
  throw new EngineError(
    'WRONG_PASSWORD',
    `the recovery key opens no drive envelope in ${storage.location} (it belongs to another account, or is newer than the envelope)`,
  );
}

/**
 * The AMK, from an envelope in `storage` whose password wrap the account's password opens (only
 * where the person turned the password wrap on for this drive). The wrap's Argon2id parameters are
 * held to the accepted bounds before anything is allocated; an envelope outside them is named and
 * skipped.
 */
export async function amkFromAccountPassword(
  storage: Storage,
  password: string,
  problem: KeyProblem,
): Promise<Uint8Array> {
  const envelopes = (await keyFilesOf(storage, problem)).flatMap((f) =>
    f.ok && f.key.kind === 'envelope' && f.key.file.passwordWrap
      ? [{ id: f.id, env: f.key.file, wrap: f.key.file.passwordWrap }]
      : [],
  );
  if (envelopes.length === 0) {
    throw new EngineError(
      'NOT_FOUND',
      `no drive envelope in ${storage.location} carries the account password: it opens with the recovery key (or its own password)`,
    );
  }
  for (const { id, env, wrap } of envelopes) {
    let keys;
    try {
      keys = await passwordKeys(password, wrap.kdf);
    } catch (err) {
      if (!(err instanceof AccountKeyError)) throw err;
      problem(`keys/${id}`, `${err.message}; skipped`, 'damaged', err.message);
      continue;
    }
    try {
      const ctx = {
        accountUid: env.accountUid,
        kind: 'password' as const,
        generation: wrap.generation,
        keyId: env.keyId,
      };
      const amk = await unwrapAmk(wrap.sealed, keys.wrapKey, ctx).catch((err: unknown) => {
        if (err instanceof AccountKeyError) return undefined;
        throw err;
      });
      if (amk) return await checkedAmk(storage, env, amk);
    } finally {
      keys.wrapKey.fill(0);
      keys.authKey.fill(0);
    }
  }
  throw new EngineError(
    'WRONG_PASSWORD',
    `the account password opens no drive envelope in ${storage.location} (another account's, or a password changed since the envelope was written)`,
  );
}

/** A typed recovery key as bytes; a typo is an error that never repeats the key. */
export async function recoveryKeyFromText(text: string): Promise<Uint8Array> {
  try {
    return await parseRecoveryKey(text);
  } catch (err) {
    if (err instanceof AccountKeyError) throw new EngineError('INVALID_ARGUMENT', err.message);
    throw err;
  }
}
