/**
 * Extended attributes (ACLs included) of restored files, folders, links and special files, set through
 * the helper of fs-xattrs.ts in batches once everything is in place (setting one changes no mtime),
 * before folder modes are applied. Each one that cannot be set, or every one when the helper is not
 * available, is a named metadata failure.
 */
import fs from 'node:fs';
import { XattrHelper } from '../fs/fs-xattrs';
import type { FsPath } from '../fs/fs-names';
import type { FailureLog, RestorePlan } from './restore-plan';
import type { TreeNode } from '../repository/tree';

/** The mode a file is written with: as given, plus owner read/write when its attributes come later. */
export function writeMode(node: TreeNode, asRoot: boolean): number {
  const mode = node.mode & 0o7777;
  // Without root, setting a user.* attribute needs write permission on the file.
  return !asRoot && node.xattrs?.length ? mode | 0o600 : mode;
}

export async function restoreXattrs(plan: RestorePlan, asRoot: boolean, log: FailureLog): Promise<void> {
  const items: { snapPath: string; dest: FsPath; node: TreeNode; file: boolean }[] = [];
  for (const f of plan.files) if (f.done && f.node.xattrs?.length) items.push({ ...f, file: true });
  for (const e of [...plan.symlinks, ...plan.specials])
    if (e.done && e.node.xattrs?.length) items.push({ ...e, file: false });
  for (const d of plan.dirs)
    if (d.usable && !d.viaLink && d.node?.xattrs?.length)
      items.push({ snapPath: d.snapPath, dest: d.dest, node: d.node, file: false });
  if (items.length === 0) return;
  const { helper, unavailable } = await XattrHelper.start();
  try {
    await Promise.all(
      items.map(async (it) => {
        const err = helper ? await helper.set(it.dest, it.node.xattrs!) : unavailable;
        if (err) log.metadata(it.snapPath, it.dest, `extended attributes not restored (${err})`);
        if (it.file && writeMode(it.node, asRoot) !== (it.node.mode & 0o7777)) {
          // Back to its own mode; only a regular file this restore just put there is changed.
          try {
            if (fs.lstatSync(it.dest).isFile()) fs.chmodSync(it.dest, it.node.mode & 0o7777);
          } catch (e) {
            log.metadata(it.snapPath, it.dest, `its mode could not be set (${(e as Error).message})`);
          }
        }
      }),
    );
  } finally {
    helper?.close();
  }
}
