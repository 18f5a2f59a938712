/**
 * Extended attributes (on Linux also the POSIX ACLs, kept in system.posix_acl_*). Node has no xattr
 * API, and a native module is not among this project's dependencies, so one long-lived helper process
 * does the calls: Python's os.listxattr/getxattr/setxattr, which every Linux desktop ships. Requests are
 * batched (hundreds of paths per message), so many small files cost one round trip per batch, not per
 * file. Where Python is missing the helper is unavailable and callers say so: extended attributes are
 * then neither read nor restored, never silently.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { FsPath } from './fs-names';

/** One attribute: its name and value (base64), as stored in a tree node's `xattrs`. */
export interface Xattr {
  name: string;
  value: string;
}

/** Reads and writes attributes without following symlinks; a file system without xattrs has none. */
const HELPER = String.raw`
import base64, json, os, sys
NONE = {getattr(__import__('errno'), n) for n in ('ENOTSUP', 'EOPNOTSUPP', 'ENODATA') if hasattr(__import__('errno'), n)}
def get(p):
    try:
        out = []
        for n in sorted(os.listxattr(p, follow_symlinks=False)):
            try:
                out.append([n, base64.b64encode(os.getxattr(p, n, follow_symlinks=False)).decode()])
            except OSError as e:
                if e.errno not in NONE: raise
        return {'x': out}
    except OSError as e:
        if e.errno in NONE: return {'x': []}
        return {'e': (e.strerror or str(e)) + ' (' + __import__('errno').errorcode.get(e.errno, '?') + ')'}
def put(p, attrs):
    bad = []
    for n, v in attrs:
        try:
            os.setxattr(p, n, base64.b64decode(v), follow_symlinks=False)
        except OSError as e:
            bad.append(n + ': ' + (e.strerror or str(e)))
    return {'e': '; '.join(bad)} if bad else {}
for line in sys.stdin:
    m = json.loads(line)
    if m['op'] == 'dir':
        d = base64.b64decode(m['d'])
        r = {}
        for i, n in enumerate(m['n']):
            a = get(os.path.join(d, base64.b64decode(n)))
            if a.get('x') != []: r[i] = a
        sys.stdout.write(json.dumps({'id': m['id'], 'd': r}) + '\n')
        sys.stdout.flush()
        continue
    paths = [base64.b64decode(p) for p in m['p']]
    if m['op'] == 'get': r = [get(p) for p in paths]
    else: r = [put(p, a) for p, a in zip(paths, m['a'])]
    sys.stdout.write(json.dumps({'id': m['id'], 'r': r}) + '\n')
    sys.stdout.flush()
`;

/** One directory's entries (the answer lists only those that have attributes, or an error). */
interface DirRequest {
  dir: string;
  names: string[];
  resolve: (r: Record<string, { x?: [string, string][]; e?: string }>) => void;
}

interface Pending {
  path: string;
  attrs?: [string, string][];
  resolve: (r: { x?: [string, string][]; e?: string }) => void;
}

const BATCH = 512;

export class XattrHelper {
  private queue: { op: 'get' | 'set'; items: Pending[] }[] = [];
  private waiting = new Map<number, Pending[]>();
  private waitingDirs = new Map<number, DirRequest>();
  private nextId = 0;
  private buffered = '';
  private scheduled = false;
  private failed: string | undefined;

  private constructor(private readonly child: ChildProcessByStdio<Writable, Readable, null>) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => this.onData(d));
    child.on('error', (err) => this.fail(err.message));
    child.on('exit', () => this.fail('the extended-attribute helper stopped'));
    child.stdin.on('error', () => undefined);
  }

  /** Starts the helper; undefined (with why) where Python is not available. */
  static async start(): Promise<{ helper?: XattrHelper; unavailable?: string }> {
    const child = spawn('python3', ['-I', '-S', '-c', HELPER], { stdio: ['pipe', 'pipe', 'ignore'] });
    const ready = await new Promise<string | undefined>((resolve) => {
      child.once('error', (err) => resolve(err.message));
      child.once('spawn', () => resolve(undefined));
    });
    if (ready !== undefined) return { unavailable: `python3 is not available to read them (${ready})` };
    return { helper: new XattrHelper(child) };
  }

  /** The attributes of `p` (a symlink's own), sorted by name; or why they cannot be read. */
  async get(p: FsPath): Promise<{ xattrs?: Xattr[]; error?: string }> {
    const r = await this.request('get', p);
    if (r.e !== undefined) return { error: r.e };
    return { xattrs: (r.x ?? []).map(([name, value]) => ({ name, value })) };
  }

  /** Sets the attributes on `p` (never following a symlink); undefined, or which could not be set. */
  async set(p: FsPath, xattrs: Xattr[]): Promise<string | undefined> {
    const r = await this.request(
      'set',
      p,
      xattrs.map((x) => [x.name, x.value]),
    );
    return r.e || undefined;
  }

  /**
   * The attributes of each entry of one folder, in the order of `names`: one message for the whole
   * folder, and only entries that have attributes (or cannot be read) come back, so a folder of
   * thousands of plain files costs one small answer.
   */
  async getDir(dir: FsPath, names: FsPath[]): Promise<{ xattrs?: Xattr[]; error?: string }[]> {
    const out: { xattrs?: Xattr[]; error?: string }[] = names.map(() => ({ xattrs: [] }));
    if (names.length === 0) return out;
    const answer = await new Promise<Record<string, { x?: [string, string][]; e?: string }>>((resolve) => {
      if (this.failed) return resolve(Object.fromEntries(names.map((_, i) => [i, { e: this.failed }])));
      const id = this.nextId++;
      const req: DirRequest = {
        dir: Buffer.from(dir).toString('base64'),
        names: names.map((n) => Buffer.from(n).toString('base64')),
        resolve,
      };
      this.waitingDirs.set(id, req);
      this.child.stdin.write(`${JSON.stringify({ id, op: 'dir', d: req.dir, n: req.names })}\n`);
    });
    for (const [i, r] of Object.entries(answer)) {
      out[Number(i)] =
        r.e !== undefined
          ? { error: r.e }
          : { xattrs: (r.x ?? []).map(([name, value]) => ({ name, value })) };
    }
    return out;
  }

  close(): void {
    this.failed ??= 'closed';
    this.child.stdin.end();
  }

  private request(op: 'get' | 'set', p: FsPath, attrs?: [string, string][]) {
    return new Promise<{ x?: [string, string][]; e?: string }>((resolve) => {
      if (this.failed) return resolve({ e: this.failed });
      let batch = this.queue[this.queue.length - 1];
      if (!batch || batch.op !== op || batch.items.length >= BATCH)
        this.queue.push((batch = { op, items: [] }));
      batch.items.push({ path: Buffer.from(p).toString('base64'), attrs, resolve });
      if (!this.scheduled) {
        this.scheduled = true;
        // Everything asked for in this turn of the event loop goes in as few messages as possible.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    for (const b of this.queue.splice(0)) {
      const id = this.nextId++;
      this.waiting.set(id, b.items);
      const msg = {
        id,
        op: b.op,
        p: b.items.map((i) => i.path),
        ...(b.op === 'set' ? { a: b.items.map((i) => i.attrs) } : {}),
      };
      this.child.stdin.write(`${JSON.stringify(msg)}\n`);
    }
  }

  private onData(d: string): void {
    this.buffered += d;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      const m = JSON.parse(line) as {
        id: number;
        r: { x?: [string, string][]; e?: string }[];
        d?: Record<string, { x?: [string, string][]; e?: string }>;
      };
      if (m.d) {
        this.waitingDirs.get(m.id)?.resolve(m.d);
        this.waitingDirs.delete(m.id);
        continue;
      }
      const items = this.waiting.get(m.id) ?? [];
      this.waiting.delete(m.id);
      items.forEach((it, i) => it.resolve(m.r[i] ?? { e: 'no answer from the helper' }));
    }
  }

  private fail(why: string): void {
    this.failed ??= why;
    for (const items of this.waiting.values()) for (const it of items) it.resolve({ e: this.failed });
    this.waiting.clear();
    for (const d of this.waitingDirs.values())
      d.resolve(Object.fromEntries(d.names.map((_, i) => [i, { e: this.failed }])));
    this.waitingDirs.clear();
    for (const b of this.queue.splice(0)) for (const it of b.items) it.resolve({ e: this.failed });
  }
}
