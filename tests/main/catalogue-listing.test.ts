/**
 * The catalogue writer's per-folder listing (src-main/catalogue/catalogue-listing.ts): what it
 * stores comes back, equal tokens mean equal content keys, and folders marked unread are told apart.
 */
import { describe, expect, it } from 'vitest';
import {
  TOKEN_BYTES,
  encodeListing,
  hasUnread,
  markUnread,
  readListing,
  sameToken,
  unreadBefore,
  writeToken,
  type NewEntry,
} from '../../src-main/catalogue/catalogue-listing';
import type { TreeNode } from '../../src-engine/index';

const id = (c: string) => c.repeat(64);
const node = (n: Partial<TreeNode>) => ({ name: 'x', mtimeNs: '0', ...n }) as TreeNode;

function tokenOf(n: TreeNode): Buffer {
  const out = Buffer.alloc(TOKEN_BYTES);
  writeToken(n, out);
  return out;
}

function listingOf(entries: [string, TreeNode, number, number][]): Buffer {
  return encodeListing(
    entries.map(([name, n, pathId, firstPos]): NewEntry => ({
      name,
      type: n.type === 'dir' ? 1 : 0,
      pathId,
      firstPos,
      tokenFrom: tokenOf(n),
      tokenAt: 0,
    })),
  );
}

describe('the catalogue listing', () => {
  it('gives back every entry with its path id, first position and type, names of any script', () => {
    const listing = listingOf([
      ['a.txt', node({ type: 'file', content: [id('a')] }), 7, 1],
      ['Été 2025', node({ type: 'dir', subtree: id('b') }), 2 ** 40, 2 ** 31],
      ['', node({ type: 'file', content: [] }), 0, 0],
    ]);
    const back = readListing(listing);
    expect([...back.keys()]).toEqual(['a.txt', 'Été 2025', '']);
    expect(back.get('Été 2025')).toMatchObject({ pathId: 2 ** 40, firstPos: 2 ** 31, type: 1 });
    expect(back.get('a.txt')).toMatchObject({ pathId: 7, firstPos: 1, type: 0 });
    expect(readListing(undefined).size).toBe(0);
    expect(() => readListing(listing.subarray(0, listing.length - 1))).toThrow(/truncated/);
  });

  it('has equal tokens exactly when the content keys are equal', () => {
    const listing = listingOf([['f', node({ type: 'file', content: [id('a')] }), 1, 1]]);
    const entry = readListing(listing).get('f')!;
    expect(sameToken(entry, tokenOf(node({ type: 'file', content: [id('a')] })))).toBe(true);
    expect(sameToken(entry, tokenOf(node({ type: 'file', content: [id('b')] })))).toBe(false);
    // The same id as a folder's tree, or as one of two blobs: other contents.
    expect(sameToken(entry, tokenOf(node({ type: 'dir', subtree: id('a') })))).toBe(false);
    expect(sameToken(entry, tokenOf(node({ type: 'file', content: [id('a'), id('a')] })))).toBe(false);
    // Upper-case hex is another id (another content key), though its bytes would read the same.
    expect(sameToken(entry, tokenOf(node({ type: 'file', content: [id('A')] })))).toBe(false);
    const link = readListing(listingOf([['l', node({ type: 'symlink', target: 'a' }), 1, 1]])).get('l')!;
    expect(sameToken(link, tokenOf(node({ type: 'symlink', target: 'a' })))).toBe(true);
    expect(sameToken(link, tokenOf(node({ type: 'symlink', target: 'b' })))).toBe(false);
  });

  it('marks folders unread, and knows them again by their tree', () => {
    const listing = listingOf([
      ['d', node({ type: 'dir', subtree: id('c') }), 1, 1],
      ['e', node({ type: 'dir', subtree: id('d') }), 2, 1],
      ['f', node({ type: 'file', content: [id('e')] }), 3, 1],
    ]);
    expect(hasUnread(listing)).toBe(false);
    expect(markUnread(listing, new Set(['f', 'nothing']))).toBe(false); // a file is never marked
    expect(markUnread(listing, new Set(['d']))).toBe(true);
    expect(hasUnread(listing)).toBe(true);
    const d = readListing(listing).get('d')!;
    const same = tokenOf(node({ type: 'dir', subtree: id('c') }));
    expect(sameToken(d, same)).toBe(false);
    expect(unreadBefore(d, same)).toBe(true);
    expect(unreadBefore(d, tokenOf(node({ type: 'dir', subtree: id('9') })))).toBe(false);
    expect(
      unreadBefore(readListing(listing).get('e')!, tokenOf(node({ type: 'dir', subtree: id('d') }))),
    ).toBe(false);
  });
});
