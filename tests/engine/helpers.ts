/** Shared fixtures for the engine tests: small chunk and pack sizes and cheap scrypt where size is not the point. */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LocalFolderStorage, Repository, type InitOptions } from '../../src-engine/index';

export const SMALL: InitOptions = {
  chunker: { min: 2048, avg: 8192, max: 32768 },
  packSize: 128 * 1024,
  scrypt: { N: 1024, r: 8, p: 1 },
};
export const PASSWORD = 'correct horse battery staple';
export const CLI = fileURLToPath(new URL('../../bin/strongroom-backup.js', import.meta.url));

export async function tempDir(label: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), `strongroom-${label}-`));
}

export async function newRepo(dir: string, opts: InitOptions = SMALL): Promise<Repository> {
  return Repository.init(new LocalFolderStorage(dir), PASSWORD, opts);
}

export async function openRepo(dir: string, password = PASSWORD): Promise<Repository> {
  return Repository.open(new LocalFolderStorage(dir), password);
}

/** Deterministic pseudo-random bytes (AES-CTR keystream of a seed): the same on every run. */
export function prng(seed: string, size: number): Buffer {
  const key = crypto.createHash('sha256').update(seed).digest();
  return crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

export function writeFile(p: string, data: Buffer | string, mode?: number): void {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
  if (mode !== undefined) fs.chmodSync(p, mode);
}

/** Every pack file path in a repository. */
export function packFiles(repoDir: string): string[] {
  const out: string[] = [];
  for (const sub of fs.readdirSync(path.join(repoDir, 'packs'), { withFileTypes: true })) {
    // Packs being written sit in packs/ itself under a temporary name; they are not packs yet.
    if (!sub.isDirectory()) continue;
    for (const n of fs.readdirSync(path.join(repoDir, 'packs', sub.name))) {
      if (!n.endsWith('.strongroom-tmp')) out.push(path.join(repoDir, 'packs', sub.name, n));
    }
  }
  return out.sort();
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  input?: string,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, STRONGROOM_PASSWORD: undefined, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Relative path -> {type, mode, mtime ms, content or link target} for a whole tree. */
export function describeTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const abs = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(abs);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out[r] = `link ${fs.readlinkSync(abs)}`;
      else if (st.isDirectory()) {
        out[r] = `dir ${mode} ${Math.floor(st.mtimeMs)}`;
        walk(abs, r);
      } else {
        const hash = crypto.createHash('sha256').update(fs.readFileSync(abs)).digest('hex');
        out[r] = `file ${mode} ${Math.floor(st.mtimeMs)} ${st.size} ${hash}`;
      }
    }
  };
  walk(root, '');
  return out;
}
