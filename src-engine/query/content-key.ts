/**
 * The content key: one short name for "what this entry holds", so versions of a path can be told apart
 * without reading any data. `find` groups versions by it, `diff` compares by it, and the desktop app's
 * catalogue stores it.
 */
import crypto from 'node:crypto';
import type { TreeNode } from '../repository/tree';

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
  return contentKeyBytes(node).toString('hex');
}

/**
 * `contentKey` as 32 bytes. One-shot hashing of the whole input (crypto.hash): the catalogue keys
 * every entry of every changed folder, and a Hash object per entry cost about three times as much.
 */
export function contentKeyBytes(node: TreeNode): Buffer {
  switch (node.type) {
    case 'file':
      return crypto.hash('sha256', `file${(node.content ?? []).map((id) => `\0${id}`).join('')}`, 'buffer');
    case 'dir':
      return crypto.hash('sha256', `dir\0${node.subtree ?? ''}`, 'buffer');
    case 'symlink':
      return crypto.hash(
        'sha256',
        node.targetBytes !== undefined
          ? Buffer.concat([Buffer.from('symlink\0'), Buffer.from(node.targetBytes, 'base64')])
          : `symlink\0${node.target ?? ''}`,
        'buffer',
      );
    default:
      return crypto.hash('sha256', `${node.type}\0${node.rdev ?? ''}`, 'buffer');
  }
}
