/**
 * The fourth figure of `npm run bench -- keys`: from the sign-in on a new computer to the first
 * search answered in Restore, for a drive vault whose history holds `paths` paths (100,000 by
 * default; bench/find-history.ts builds it once in `dir` and reuses it). The first computer joins
 * the vault to the account (its directory row, account slot and drive envelope); the second, with
 * its own data folder and nothing but the username and password, unlocks (Argon2id, the AMK
 * unwrapped), connects the drive from the directory, and asks catalogue:search until it answers
 * with a path of the history. Each step is timed: sign-in, drive connected, first search answered.
 * Both computers are the app's composed main-process services (the engine in forked job
 * processes) against an account server on loopback.
 */
import fs from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';
import type { Services } from '../src-main/compose';
import type { CatalogueSearchResult, VaultView } from '../src-shared/ipc-contract';
import { startTestAccountServer } from '../tests/support/account-server';
import { MemorySecretStore } from '../tests/main/fakes';
import { buildFindHistory } from './find-history';

const PASSWORD = 'bench account password';

export interface NewComputerFigures {
  signInMs: number;
  driveConnectedMs: number;
  firstSearchMs: number;
}

async function call<T>(services: Services, channel: string, input?: unknown): Promise<T> {
  const result = await services.dispatch(channel, input, true);
  if (!result || !result.ok) throw new Error(`${channel}: ${JSON.stringify(result)}`);
  return result.value as T;
}

export async function newComputerToFirstSearch(opts: {
  dir: string;
  paths: number;
  snapshots: number;
  log: (line: string) => void;
}): Promise<NewComputerFigures> {
  fs.mkdirSync(opts.dir, { recursive: true });
  // The main-process services import electron-store, which wants Electron: the harness's shim.
  register('../src-harness/electron-hooks.mjs', import.meta.url);
  const { composeTestServices } = await import('../tests/main/composed-services');
  const history = await buildFindHistory(
    path.join(opts.dir, 'history'),
    { paths: opts.paths, snapshots: opts.snapshots, changeRatio: 0.01, restic: false },
    (done, total) => opts.log(`   building the history: ${done}/${total} backups`),
  );
  const server = await startTestAccountServer();
  const computers: Services[] = [];
  const computer = (name: string) => {
    const dir = path.join(opts.dir, `${name}-${Date.now()}`);
    const services = composeTestServices({
      dir,
      serverUrl: server.url,
      secrets: new MemorySecretStore(),
      deviceName: name,
    });
    computers.push(services);
    return services;
  };
  try {
    await server.createUser('bench', PASSWORD);
    // The first computer: the history's repository joins the account as a drive vault.
    const laptop = computer('laptop');
    await call(laptop, 'auth:unlock', { username: 'bench', password: PASSWORD });
    const vault = await call<VaultView>(laptop, 'vault:create', {
      type: 'local',
      name: 'History drive',
      path: history.strongroomRepo,
      mode: 'existing',
      password: history.password,
      storePassword: true,
    });
    await laptop.directory.sync();
    laptop.lock.lock('manual');

    // The new computer: sign-in, the drive from the directory, then search until it answers.
    const desk = computer('desk');
    const started = performance.now();
    await call(desk, 'auth:unlock', { username: 'bench', password: PASSWORD });
    const signedIn = performance.now();
    await call(desk, 'account:connectDrive', { vaultId: vault.id, path: history.strongroomRepo });
    const connected = performance.now();
    const query = path.basename(firstFile(history.source));
    for (;;) {
      const found = await call<CatalogueSearchResult>(desk, 'catalogue:search', { query, vaultId: vault.id });
      if (found.matches.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const answered = performance.now();
    return {
      signInMs: signedIn - started,
      driveConnectedMs: connected - started,
      firstSearchMs: answered - started,
    };
  } finally {
    for (const services of computers) services.dispose();
    await server.close();
  }
}

/** A file of the history's tree, to search for. */
function firstFile(dir: string): string {
  for (const entry of fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, entry.name);
    if (entry.isFile()) return p;
    if (entry.isDirectory()) {
      const inner = firstFile(p);
      if (inner) return inner;
    }
  }
  return '';
}
