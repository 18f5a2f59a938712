/**
 * Extended attributes at backup: an entry whose ctime and inode match the parent snapshot's keeps the
 * parent's attributes (setting an attribute changes the ctime); the others of one folder are read in
 * one request to the helper of fs-xattrs.ts, which starts on the first such request, so an unchanged
 * re-run never starts it. A read error is named (`metadata`: the file is stored without them); no
 * helper (no python3) is said once, as a note.
 */
import { joinPath, type FsPath } from '../fs/fs-names';
import { XattrHelper, type Xattr } from '../fs/fs-xattrs';
import type { BackupReport } from './backup-report';
import type { NodeMeta } from './backup-scan';
import type { TreeNode } from '../repository/tree';

export class BackupXattrs {
  private helper: Promise<XattrHelper | undefined> | undefined;

  constructor(private readonly report: BackupReport) {}

  /** Whether the parent's node still describes this entry's attributes. */
  static unchanged(prev: TreeNode | undefined, meta: NodeMeta): prev is TreeNode {
    return prev !== undefined && prev.ctimeNs === meta.ctimeNs && prev.inode === meta.inode;
  }

  /** The attributes of these entries of the folder `dir` (undefined where there are none). */
  async readDir(dir: FsPath, names: FsPath[]): Promise<(Xattr[] | undefined)[]> {
    if (names.length === 0) return [];
    const helper = await (this.helper ??= XattrHelper.start().then(({ helper, unavailable }) => {
      if (unavailable)
        this.report.problem('note', dir, `extended attributes are not backed up: ${unavailable}`);
      return helper;
    }));
    if (!helper) return names.map(() => undefined);
    const answers = await helper.getDir(dir, names);
    return answers.map((r, i) => {
      if (r.error)
        this.report.problem(
          'metadata',
          joinPath(dir, names[i]!),
          `stored without its extended attributes (${r.error})`,
        );
      return r.xattrs && r.xattrs.length > 0 ? r.xattrs : undefined;
    });
  }

  async close(): Promise<void> {
    (await this.helper)?.close();
  }
}
