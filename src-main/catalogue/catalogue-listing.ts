/**
 * A folder's contents in a lineage's newest catalogued backup, as the catalogue writer keeps them:
 * one binary row per folder (table `listing`) instead of a row per entry, because appending a backup
 * reads the listing of every changed folder, and in a tree where 1 % of the files changed that is
 * most folders. Per entry it holds what the writer needs to tell "unchanged" without hashing
 * anything (a token: the file's single blob id or the folder's tree id, else the content key) and
 * where the entry's open span is (its path id and first position).
 *
 * Entry layout, in the tree's order: type (u8), token (33 bytes: kind, then 32 bytes), path id
 * (u48), first position (u32), name length (u32), name (UTF-8).
 */
import { contentKeyBytes, type TreeNode } from '../../src-engine/index';

export const TOKEN_BYTES = 33;
const ID = /^[0-9a-f]{64}$/;
const FIXED_BYTES = 1 + TOKEN_BYTES + 6 + 4 + 4;

/** Token kinds: what the 32 bytes after the kind are. */
const TOKEN_UNREAD = 0; // a folder whose tree could not be read last time: its tree id, to read again
const TOKEN_BLOB = 1; // a file made of exactly one blob: that blob's id
const TOKEN_TREE = 2; // a folder: the id of the tree listing its contents
const TOKEN_KEY = 3; // anything else: the content key (engine's contentKey)

/** An entry of a folder's listing; `token` is an offset into the listing's bytes. */
export interface ListedEntry {
  type: number;
  pathId: number;
  firstPos: number;
  listing: Buffer;
  token: number;
}

export interface NewEntry {
  name: string;
  type: number;
  pathId: number;
  firstPos: number;
  /** The token's bytes: `scratch` as `writeToken` left it, or an old listing's. */
  tokenFrom: Buffer;
  tokenAt: number;
}

/**
 * Writes the node's token into `out` (TOKEN_BYTES long). Equal tokens mean equal content keys:
 * a blob id or a tree id determines the key, and the kinds keep the three cases apart.
 */
export function writeToken(node: TreeNode, out: Buffer): void {
  const blobs = node.type === 'file' ? (node.content ?? []) : null;
  const id = blobs?.length === 1 ? blobs[0]! : node.type === 'dir' ? node.subtree : undefined;
  // Ids as the engine writes them; anything else (only a crafted tree) is keyed by its content key,
  // which tells "AB…" from "ab…" where the hex bytes would not.
  if (id !== undefined && ID.test(id)) {
    out.write(id, 1, 32, 'hex');
    out[0] = blobs ? TOKEN_BLOB : TOKEN_TREE;
    return;
  }
  out[0] = TOKEN_KEY;
  contentKeyBytes(node).copy(out, 1);
}

/** The entries of a stored listing, by name. */
export function readListing(listing: Buffer | undefined): Map<string, ListedEntry> {
  const out = new Map<string, ListedEntry>();
  if (!listing) return out;
  let at = 0;
  while (at < listing.length) {
    if (at + FIXED_BYTES > listing.length) break;
    const type = listing[at]!;
    const token = at + 1;
    const pathId = listing.readUIntLE(token + TOKEN_BYTES, 6);
    const firstPos = listing.readUInt32LE(token + TOKEN_BYTES + 6);
    const nameLength = listing.readUInt32LE(token + TOKEN_BYTES + 10);
    const nameAt = at + FIXED_BYTES;
    if (nameAt + nameLength > listing.length) break;
    out.set(listing.toString('utf8', nameAt, nameAt + nameLength), {
      type,
      pathId,
      firstPos,
      listing,
      token,
    });
    at = nameAt + nameLength;
  }
  if (at !== listing.length) throw new Error('catalogue listing: truncated entry');
  return out;
}

/** True when the entry's stored token equals `token` (TOKEN_BYTES at offset 0). */
export function sameToken(entry: ListedEntry, token: Buffer): boolean {
  return entry.listing.compare(token, 0, TOKEN_BYTES, entry.token, entry.token + TOKEN_BYTES) === 0;
}

/**
 * True when the entry is a folder whose tree could not be read when it was catalogued, and `token`
 * names the same tree: its content is unchanged, but it is to be read this time.
 */
export function unreadBefore(entry: ListedEntry, token: Buffer): boolean {
  return (
    entry.listing[entry.token] === TOKEN_UNREAD &&
    token[0] === TOKEN_TREE &&
    entry.listing.compare(token, 1, TOKEN_BYTES, entry.token + 1, entry.token + TOKEN_BYTES) === 0
  );
}

/** Whether any entry of the listing is a folder marked unread. */
export function hasUnread(listing: Buffer): boolean {
  for (const entry of readListing(listing).values())
    if (entry.listing[entry.token] === TOKEN_UNREAD) return true;
  return false;
}

/** Marks these folders of a listing as not read (see unreadBefore); false if it has none of them. */
export function markUnread(listing: Buffer, names: Set<string>): boolean {
  let marked = false;
  for (const [name, entry] of readListing(listing)) {
    if (!names.has(name) || entry.listing[entry.token] !== TOKEN_TREE) continue;
    listing[entry.token] = TOKEN_UNREAD;
    marked = true;
  }
  return marked;
}

/** The bytes of a listing holding `entries`, in their order. */
export function encodeListing(entries: NewEntry[]): Buffer {
  const names = entries.map((e) => Buffer.from(e.name, 'utf8'));
  const out = Buffer.allocUnsafe(names.reduce((n, b) => n + FIXED_BYTES + b.length, 0));
  let at = 0;
  entries.forEach((e, i) => {
    out[at] = e.type;
    e.tokenFrom.copy(out, at + 1, e.tokenAt, e.tokenAt + TOKEN_BYTES);
    out.writeUIntLE(e.pathId, at + 1 + TOKEN_BYTES, 6);
    out.writeUInt32LE(e.firstPos, at + 1 + TOKEN_BYTES + 6);
    out.writeUInt32LE(names[i]!.length, at + 1 + TOKEN_BYTES + 10);
    names[i]!.copy(out, at + FIXED_BYTES);
    at += FIXED_BYTES + names[i]!.length;
  });
  return out;
}
