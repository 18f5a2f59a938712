/**
 * Writes restored files, and is the one place that holds their descriptors: at most `maxOpen` at a
 * time (least recently used closed first, reopened by name when needed again), so a restore of any
 * number of files fits in an ordinary open-file limit. Each file is written under a short fresh name
 * in its own folder (`.sr` and at most 12 more characters: a 255-byte name still fits beside it), with O_EXCL|O_NOFOLLOW, and
 * renamed over its destination only when complete; a symlink at the destination is replaced, never
 * written through. Runs of zeros as long as a whole blob are not written but left as holes (the file
 * is truncated to its size at the end), so sparse files stay sparse.
 *
 * Calls are synchronous: on small files the thread-pool round trip of each async call cost more than
 * the call itself, and the next pack range is read (asynchronously) while these run.
 */
import fs from 'node:fs';
import { constants as fsc } from 'node:fs';
import { joinPath, restoreTmpName, type FsPath } from '../fs/fs-names';
import { setTimesFd } from '../fs/fs-meta';
import { describePathError } from './restore-dirs';
import type { FailureLog, FilePlan } from './restore-plan';
import { writeMode } from './restore-xattrs';

const ZEROS = Buffer.alloc(64 * 1024);

function allZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i += ZEROS.length) {
    const part = b.subarray(i, Math.min(b.length, i + ZEROS.length));
    if (!part.equals(ZEROS.subarray(0, part.length))) return false;
  }
  return true;
}

interface Open {
  tmp: FsPath;
  fd?: number;
  /** A blob was left as a hole: the size is set with ftruncate at the end. */
  holes: boolean;
}

export interface FileWriterOptions {
  maxOpen?: number;
  asRoot: boolean;
  log: FailureLog;
}

export class FileWriter {
  /** Files being written; `fds` holds those with an open descriptor, least recently used first. */
  private readonly files = new Map<FilePlan, Open>();
  private readonly fds = new Map<FilePlan, number>();
  private readonly maxOpen: number;
  private readonly uid = process.getuid?.() ?? -1;
  private readonly gid = process.getgid?.() ?? -1;

  constructor(private readonly opts: FileWriterOptions) {
    this.maxOpen = Math.max(1, opts.maxOpen ?? 64);
  }

  /** How many descriptors are open now (never more than maxOpen). */
  get openCount(): number {
    return this.fds.size;
  }

  /** Writes `data` at `offset` of `f`; false (and `f.failed` set, the failure logged) if it cannot. */
  write(f: FilePlan, offset: number, data: Buffer): boolean {
    if (f.failed) return false;
    try {
      const o = this.state(f);
      if (allZero(data)) {
        o.holes = true;
        return true;
      }
      const fd = this.descriptor(f, o);
      let off = 0;
      while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off, offset + off);
      return true;
    } catch (err) {
      this.fail(f, err);
      return false;
    }
  }

  /** Size, owner (as root), mode and times through the descriptor, then the rename into place. */
  finish(f: FilePlan): boolean {
    if (f.failed) {
      this.abandon(f);
      return false;
    }
    let o: Open;
    let fd: number;
    try {
      o = this.state(f);
      fd = this.descriptor(f, o);
      if (o.holes) fs.ftruncateSync(fd, f.node.size ?? 0);
    } catch (err) {
      this.fail(f, err);
      return false;
    }
    const node = f.node;
    let metaError: unknown;
    try {
      // The owner first: chown clears set-id bits, which chmod then puts back. A new file is already
      // ours: only a different owner costs a call.
      if (this.opts.asRoot && (node.uid !== this.uid || node.gid !== this.gid))
        fs.fchownSync(fd, node.uid, node.gid);
      fs.fchmodSync(fd, writeMode(node, this.opts.asRoot));
      setTimesFd(fd, o.tmp, node.mtimeNs);
    } catch (err) {
      metaError = err;
    }
    try {
      this.close(f);
      fs.renameSync(o.tmp, f.dest);
    } catch (err) {
      this.fail(f, err);
      return false;
    }
    this.files.delete(f);
    f.done = true;
    if (metaError) {
      this.opts.log.metadata(
        f.snapPath,
        f.dest,
        `its owner, mode or times could not be set (${describePathError(metaError)})`,
        metaError,
      );
    }
    return true;
  }

  /** Drops a file that will not be completed: its descriptor is closed and its temporary name removed. */
  abandon(f: FilePlan): void {
    const o = this.files.get(f);
    if (!o) return;
    this.close(f);
    this.files.delete(f);
    try {
      fs.rmSync(o.tmp, { force: true });
    } catch {
      // Nothing more can be done; the temporary name starts with a dot and says what it is.
    }
  }

  /** Every file not finished: abandoned (cancel, a fatal error, or blobs that never came). */
  abandonAll(): void {
    for (const f of [...this.files.keys()]) this.abandon(f);
  }

  private state(f: FilePlan): Open {
    let o = this.files.get(f);
    if (!o) {
      o = { tmp: '', holes: false };
      // A short random name, created exclusively: nothing already there is ever opened or followed.
      for (let attempt = 0; ; attempt++) {
        const tmp = joinPath(f.parent.dest, restoreTmpName());
        try {
          o.fd = this.openWithRoom(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
          o.tmp = tmp;
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 8) throw err;
        }
      }
      this.files.set(f, o);
      this.fds.set(f, o.fd);
    }
    return o;
  }

  private descriptor(f: FilePlan, o: Open): number {
    let fd = this.fds.get(f);
    if (fd !== undefined) {
      // Most recently used goes last.
      this.fds.delete(f);
      this.fds.set(f, fd);
      return fd;
    }
    fd = this.openWithRoom(o.tmp, fsc.O_WRONLY | fsc.O_NOFOLLOW);
    o.fd = fd;
    this.fds.set(f, fd);
    return fd;
  }

  /** Opens after making room under maxOpen; on EMFILE/ENFILE closes more of its own and retries. */
  private openWithRoom(p: FsPath, flags: number, mode?: number): number {
    while (this.fds.size >= this.maxOpen) this.closeOldest();
    for (;;) {
      try {
        return fs.openSync(p, flags, mode);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code !== 'EMFILE' && code !== 'ENFILE') || this.fds.size === 0) throw err;
        this.closeOldest();
      }
    }
  }

  private closeOldest(): void {
    const first = this.fds.keys().next();
    if (!first.done) this.close(first.value);
  }

  private close(f: FilePlan): void {
    const fd = this.fds.get(f);
    if (fd === undefined) return;
    this.fds.delete(f);
    const o = this.files.get(f);
    if (o) o.fd = undefined;
    fs.closeSync(fd);
  }

  /**
   * This file is not restored: its temporary file goes (on a full disk that frees its space, so the
   * smaller files after it may still fit), and it is named.
   */
  private fail(f: FilePlan, err: unknown): void {
    this.abandon(f);
    f.failed = describePathError(err);
    this.opts.log.notRestored(f.snapPath, f.dest, f.failed, err);
  }
}
