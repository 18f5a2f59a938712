/**
 * "Open a drive with a recovery key": a folder or drive vault whose account server does not hold
 * it (the drive came from another account, or its server is gone) opens with that account's
 * recovery key, or its password where the drive's password wrap is on. The job process reads the
 * drive envelope and the vault record in the account slot, and adds a password slot for a random
 * password made here (repository passwords only ever go to the job process, never from it); the
 * vault is then added like any other, under its own id and name, and its catalogue is built so
 * Restore and its search work on it. A key that does not open it adds nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AccountKeyError, parseRecoveryKey } from '../../../src-shared/account-crypto';
import type { Vault } from '../../../src-shared/backup-config';
import type { VaultView } from '../../../src-shared/ipc-contract';
import type { EngineRunner } from '../backup/engine-runner';
import {
  checkedFolder,
  engineError,
  randomRepositoryPassword,
  type VaultService,
} from '../backup/vault-service';
import type { AccountKeyHolder } from '../ports';
import { ServiceError } from '../service-error';
import { ownerOf } from './vault-owner';

export interface DriveOpenerOptions {
  vaults: Pick<VaultService, 'list' | 'adopt'>;
  runner: EngineRunner;
  /** The unlocked account, which the vault joins (its directory row and account slot follow). */
  keys: AccountKeyHolder;
  catalogue?: { update(vaultId: string, rebuild: boolean, trigger: 'catch-up'): unknown };
  log?: (message: string) => void;
  /** The clock of the wait between wrong keys. */
  now?: () => number;
}

export type DriveKey = { recoveryKey: string } | { accountPassword: string };

/** The wait after the n-th wrong key in a row: 1 s, doubling, at most 5 minutes. */
const WAIT_AFTER_WRONG_MS = (n: number) => Math.min(1000 * 2 ** (n - 1), 300_000);

export class DriveOpener {
  /** Wrong keys in a row (any folder), and until when the next one waits. */
  private wrong = { count: 0, until: 0 };
  private attempts: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: DriveOpenerOptions) {}

  /**
   * One attempt at a time: the wait after a wrong key is checked before and set after each job, so
   * attempts made at once would otherwise each be a guess of the account password.
   */
  open(folderPath: string, key: DriveKey): Promise<VaultView> {
    const attempt = this.attempts.then(() => this.openOne(folderPath, key));
    this.attempts = attempt.catch(() => undefined);
    return attempt;
  }

  private async openOne(folderPath: string, key: DriveKey): Promise<VaultView> {
    const folder = checkedFolder(folderPath);
    if ('recoveryKey' in key) await checkTyped(key.recoveryKey);
    if (!isDirectory(folder)) {
      throw new ServiceError(
        'not_found',
        `There is no folder ${folder}. Connect the drive and choose its vault folder.`,
      );
    }
    // By real path: another spelling of a vault's folder (a link, /proc/self/root, case) is the same.
    const real = realPath(folder);
    const same = this.o.vaults.list().find((v) => v.type === 'local' && realPath(v.path) === real);
    if (same) throw new ServiceError('conflict', `The vault "${same.name}" already uses ${folder}.`);
    // Each attempt may cost an offline guess of the account password: a growing wait between wrong ones.
    const now = (this.o.now ?? Date.now)();
    if (now < this.wrong.until) {
      const seconds = Math.ceil((this.wrong.until - now) / 1000);
      throw new ServiceError(
        'throttled',
        `The last key entered was wrong: try again in ${seconds} s.`,
        seconds,
      );
    }

    const keys = this.o.keys.current();
    const password = randomRepositoryPassword();
    const outcome = await this.o.runner.run(
      {
        op: 'openDrive',
        repo: { kind: 'local', path: folder },
        ...key,
        newPassword: password,
        ...(keys ? { unlockedKeyId: keys.keyId } : {}),
        repositoryIdsHere: this.o.vaults.list().map((v) => v.repositoryId),
      },
      { onProgress: () => {}, onLog: () => {} },
      new AbortController().signal,
    );
    const value = outcome.value;
    if (outcome.status !== 'success' || value?.op !== 'openDrive') {
      if (outcome.errorCode === 'WRONG_PASSWORD') {
        this.wrong.count += 1;
        this.wrong.until = (this.o.now ?? Date.now)() + WAIT_AFTER_WRONG_MS(this.wrong.count);
        throw new ServiceError(
          'wrong_password',
          'recoveryKey' in key
            ? `That recovery key does not open the vault in ${folder}: it is another account's, or newer than the drive's copy of the account's keys. Nothing was added.`
            : `That password does not open the vault in ${folder}: it is another account's, or was changed after the drive was last connected. Nothing was added.`,
        );
      }
      if (outcome.errorCode === 'NOT_FOUND') {
        throw new ServiceError(
          'not_found',
          'recoveryKey' in key
            ? `The vault in ${folder} holds no copy of an account’s keys, so no recovery key opens it: open it with its own vault password (Add storage vault, “Open the vault already in this folder”). Nothing was added.`
            : `The vault in ${folder} was not set to open with its account’s password: use the account recovery key. Nothing was added.`,
        );
      }
      if (outcome.errorCode === 'CORRUPT') {
        throw new ServiceError(
          'conflict',
          `The copy of the account’s keys on the drive in ${folder} was changed or damaged since the app wrote it, so it is not used. Open the vault on a computer signed in to its account (the app then writes a new copy), or with its own vault password. Nothing was added.`,
        );
      }
      throw engineError(outcome, `in ${folder}`);
    }
    this.wrong = { count: 0, until: 0 };
    if (value.refused === 'own-account') {
      throw new ServiceError(
        'conflict',
        `The vault in ${folder} is already this account's: add it with “Connect the drive” where your account lists its vaults. Nothing was added.`,
      );
    }
    if (value.refused === 'already-here') {
      const here = this.o.vaults.list().find((v) => v.repositoryId === value.repositoryId);
      throw new ServiceError(
        'conflict',
        `The vault in ${folder} is already on this computer${here ? ` as “${here.name}”` : ''}. Nothing was added.`,
      );
    }
    const vault: Vault = {
      id: value.vaultId,
      type: 'local',
      name: value.name,
      path: folder,
      repositoryId: value.repositoryId,
      passwordStored: false,
      createdAt: value.createdAt,
      // Another account's drive: its key opens it, and this account's password wrap is never
      // written onto it unless the person turns it on.
      passwordWrapOnDrive: false,
      ...(value.keyId !== keys?.keyId ? { openedWithOtherAccountKey: true as const } : {}),
      ...(keys ? { owner: ownerOf(keys) } : {}),
    };
    const view = await this.o.vaults.adopt(vault, password, value.name);
    try {
      this.o.catalogue?.update(vault.id, false, 'catch-up');
    } catch (error) {
      this.o.log?.(`catalogue not queued: ${(error as Error).message}`);
    }
    return view;
  }
}

/** A typo in the recovery key is said before anything is read (its checksum). */
async function checkTyped(text: string): Promise<void> {
  try {
    (await parseRecoveryKey(text)).fill(0);
  } catch (error) {
    if (error instanceof AccountKeyError) throw new ServiceError('bad_request', error.message);
    throw error;
  }
}

function realPath(p: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return path.resolve(p);
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
