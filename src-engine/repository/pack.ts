/**
 * Pack files: encrypted blobs back to back, then the encrypted header listing them, then the header's
 * length. The header makes every pack self-describing, so the index can be rebuilt from packs alone.
 *
 *   blob_0 | blob_1 | ... | blob_n-1 | sealed header | u32le sealed header length
 *   blob   = nonce(12) | AES-256-GCM ciphertext | tag(16), AAD = the 32-byte blob id
 *   header = "SRPK" | version u8 (1) | count u32le | count x entry(46 bytes), sealed with AAD "strongroom pack header v1"
 *   entry  = type u8 | codec u8 | id 32 bytes | offset u32le | length u32le | raw length u32le
 */
import crypto from 'node:crypto';
import { blobId, open, seal, sha256Hex, OVERHEAD, type Subkeys } from './crypto';
import { decode, maybeCompress, type CodecId } from './codec';
import { IntegrityError } from '../errors';
import type { Storage, TempFile } from '../storage';
import { packName } from '../storage';

export const BLOB_DATA = 0;
export const BLOB_TREE = 1;
export type BlobType = typeof BLOB_DATA | typeof BLOB_TREE;

export interface PackEntry {
  type: BlobType;
  codec: CodecId;
  /** hex */
  id: string;
  offset: number;
  length: number;
  rawLength: number;
}

const MAGIC = Buffer.from('SRPK');
const ENTRY_BYTES = 46;
const HEADER_AAD = Buffer.from('strongroom pack header v1');
export const DEFAULT_PACK_SIZE = 16 * 1024 * 1024;

export function encryptBlob(
  keys: Subkeys,
  idBytes: Buffer,
  plain: Uint8Array,
  level?: number,
): { codec: CodecId; sealed: Buffer } {
  const { codec, bytes } = maybeCompress(plain, level);
  return { codec, sealed: seal(keys.encrypt, bytes, idBytes) };
}

/** Authenticates, decrypts and decompresses one blob; `verifyId` also recomputes its HMAC id. */
export function decryptBlob(
  keys: Subkeys,
  entry: PackEntry,
  sealed: Uint8Array,
  where: string,
  verifyId = false,
): Buffer {
  const idBytes = Buffer.from(entry.id, 'hex');
  const plain = open(keys.encrypt, sealed, idBytes, `${where} blob ${entry.id.slice(0, 16)}`);
  let out: Buffer;
  try {
    out = decode(entry.codec, plain, entry.rawLength);
  } catch (err) {
    throw new IntegrityError(where, `${where} blob ${entry.id.slice(0, 16)}: ${(err as Error).message}`);
  }
  if (verifyId && !blobId(keys.blobId, out).equals(idBytes)) {
    throw new IntegrityError(where, `${where} blob ${entry.id.slice(0, 16)}: content does not match its id`);
  }
  return out;
}

export function encodeHeader(keys: Subkeys, entries: PackEntry[]): Buffer {
  const buf = Buffer.alloc(9 + entries.length * ENTRY_BYTES);
  MAGIC.copy(buf, 0);
  buf[4] = 1;
  buf.writeUInt32LE(entries.length, 5);
  let o = 9;
  for (const e of entries) {
    buf[o] = e.type;
    buf[o + 1] = e.codec;
    Buffer.from(e.id, 'hex').copy(buf, o + 2);
    buf.writeUInt32LE(e.offset, o + 34);
    buf.writeUInt32LE(e.length, o + 38);
    buf.writeUInt32LE(e.rawLength, o + 42);
    o += ENTRY_BYTES;
  }
  const sealed = seal(keys.encrypt, buf, HEADER_AAD);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(sealed.length);
  return Buffer.concat([sealed, len]);
}

/** Parses the header from the pack's tail bytes (`tail` = the last `tail.length` bytes of a `packSize` file). */
export function decodeHeader(
  keys: Subkeys,
  packId: string,
  tail: Buffer,
  packSize: number,
): PackEntry[] | number {
  if (tail.length < 4 || packSize < 4 + OVERHEAD) {
    throw new IntegrityError(packId, `pack ${packId.slice(0, 16)}: too short to hold a header`);
  }
  const sealedLen = tail.readUInt32LE(tail.length - 4);
  if (sealedLen + 4 > packSize || sealedLen < OVERHEAD + 9) {
    throw new IntegrityError(packId, `pack ${packId.slice(0, 16)}: header length ${sealedLen} is impossible`);
  }
  // Ask the caller for more bytes when the tail read was too short.
  if (sealedLen + 4 > tail.length) return sealedLen + 4;
  const sealed = tail.subarray(tail.length - 4 - sealedLen, tail.length - 4);
  const buf = open(keys.encrypt, sealed, HEADER_AAD, `pack ${packId.slice(0, 16)} header`);
  if (!buf.subarray(0, 4).equals(MAGIC) || buf[4] !== 1) {
    throw new IntegrityError(packId, `pack ${packId.slice(0, 16)}: unknown header format`);
  }
  const count = buf.readUInt32LE(5);
  if (buf.length !== 9 + count * ENTRY_BYTES) {
    throw new IntegrityError(
      packId,
      `pack ${packId.slice(0, 16)}: header size does not match its entry count`,
    );
  }
  const entries: PackEntry[] = [];
  const dataEnd = packSize - 4 - sealedLen;
  let expect = 0;
  for (let i = 0, o = 9; i < count; i++, o += ENTRY_BYTES) {
    const e: PackEntry = {
      type: buf[o] as BlobType,
      codec: buf[o + 1] as CodecId,
      id: buf.toString('hex', o + 2, o + 34),
      offset: buf.readUInt32LE(o + 34),
      length: buf.readUInt32LE(o + 38),
      rawLength: buf.readUInt32LE(o + 42),
    };
    // Blobs are contiguous from byte 0 to the header: every byte of a pack is covered by some MAC.
    if (e.offset !== expect || e.length < OVERHEAD) {
      throw new IntegrityError(packId, `pack ${packId.slice(0, 16)}: header entries are not contiguous`);
    }
    expect += e.length;
    entries.push(e);
  }
  if (expect !== dataEnd) {
    throw new IntegrityError(packId, `pack ${packId.slice(0, 16)}: header does not cover the pack's data`);
  }
  return entries;
}

export async function readPackHeader(storage: Storage, keys: Subkeys, packId: string): Promise<PackEntry[]> {
  const name = packName(packId);
  const size = await storage.size(name);
  let want = Math.min(size, 64 * 1024);
  for (;;) {
    const tail = await storage.readRange(name, size - want, want);
    const r = decodeHeader(keys, packId, tail, size);
    if (typeof r !== 'number') return r;
    want = r;
  }
}

/** Parses a whole pack held in memory: checks its name (SHA-256 of the bytes) and its header. */
export function parsePack(keys: Subkeys, packId: string, bytes: Buffer): PackEntry[] {
  if (sha256Hex(bytes) !== packId) {
    throw new IntegrityError(packId, `pack ${packId.slice(0, 16)}: contents do not match its name (SHA-256)`);
  }
  const r = decodeHeader(keys, packId, bytes, bytes.length);
  if (typeof r === 'number')
    throw new IntegrityError(packId, `pack ${packId.slice(0, 16)}: header truncated`);
  return r;
}

/**
 * Collects sealed blobs until the pack is big enough, then stores it under its SHA-256 name. Where the
 * storage can stream, blobs go straight to a temporary file and only the header is kept in memory.
 */
export class PackWriter {
  private parts: Buffer[] = [];
  private entries: PackEntry[] = [];
  private bytes = 0;
  private temp: TempFile | undefined;
  private hash = crypto.createHash('sha256');

  constructor(
    private readonly storage: Storage,
    private readonly keys: Subkeys,
    readonly targetSize: number,
    /** Names this run's temporary files, so a failed run can remove those its threads left. */
    private readonly tempTag?: string,
  ) {}

  get size(): number {
    return this.bytes;
  }
  get count(): number {
    return this.entries.length;
  }

  add(type: BlobType, id: string, codec: CodecId, sealed: Buffer, rawLength: number): void {
    this.entries.push({ type, codec, id, offset: this.bytes, length: sealed.length, rawLength });
    this.bytes += sealed.length;
    if (this.storage.createTemp) {
      this.temp ??= this.storage.createTemp(this.tempTag);
      this.temp.append(sealed);
      this.hash.update(sealed);
    } else this.parts.push(sealed);
  }

  get full(): boolean {
    return this.bytes >= this.targetSize;
  }

  /** Writes the pack (if any blobs) and returns its id and entries. */
  async flush(): Promise<{ packId: string; entries: PackEntry[] } | undefined> {
    if (this.entries.length === 0) return undefined;
    const entries = this.entries;
    const header = encodeHeader(this.keys, entries);
    const temp = this.temp;
    const hash = this.hash;
    const parts = this.parts;
    this.parts = [];
    this.entries = [];
    this.bytes = 0;
    this.temp = undefined;
    this.hash = crypto.createHash('sha256');
    if (temp) {
      temp.append(header);
      const packId = hash.update(header).digest('hex');
      await temp.commit(packName(packId));
      return { packId, entries };
    }
    parts.push(header);
    const packId = sha256Hex(parts);
    await this.storage.write(packName(packId), parts);
    return { packId, entries };
  }

  /** Drops an unfinished pack (its temporary file, if any). */
  abort(): void {
    this.temp?.abort();
    this.temp = undefined;
    this.parts = [];
    this.entries = [];
    this.bytes = 0;
  }
}
