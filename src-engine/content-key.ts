/**
 * The content key: one short name for "what this entry holds", so versions of a path can be told apart
 * without reading any data. `find` groups versions by it, `diff` compares by it, and the desktop app's
 * catalogue stores it.
 */
import crypto from 'node:crypto';
import type { TreeNode } from './tree';

/**
 * SHA-256 (64 hex) of the node's type and what defines its content, fields separated by NUL:
 *
 * - file: `file`, then its blob ids in order. Blob ids are keyed hashes of the chunk bytes, and chunk
 *   boundaries depend only on the bytes, so within one repository equal keys mean equal bytes and
 *   different keys different bytes. Size is implied by the blobs, so it is not hashed. Every empty file
 *   (no blobs) has the same key, the hash of `file` alone.
 * - dir: `dir`, then its subtree id: equal keys mean the whole subtree is identical (names, contents
 *   and metadata of everything below, since the subtree id hashes all of it). Its own mode and times
 *   are not part of the key.
 * - symlink: `symlink`, then its target's exact bytes (`targetBytes` when the target is not UTF-8).
 * - fifo, chardev, blockdev: the type, then the device number (`rdev`, empty for a fifo).
 *
 * Metadata (mode, owner, times, extended attributes) is never part of a key: a `chmod` is not a new
 * version. Keys are comparable only within one repository (blob ids are keyed by the repository's key).
 */
export function contentKey(node: TreeNode): string {
  const h = crypto.createHash('sha256');
  h.update(node.type);
  switch (node.type) {
    case 'file':
      for (const id of node.content ?? []) h.update(`\0${id}`);
      break;
    case 'dir':
      h.update(`\0${node.subtree ?? ''}`);
      break;
    case 'symlink':
      h.update('\0');
      h.update(
        node.targetBytes !== undefined ? Buffer.from(node.targetBytes, 'base64') : (node.target ?? ''),
      );
      break;
    default:
      h.update(`\0${node.rdev ?? ''}`);
  }
  return h.digest('hex');
}
