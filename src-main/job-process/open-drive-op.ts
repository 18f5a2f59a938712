/**
 * A folder or drive vault opened with nothing but its account's recovery key (or that account's
 * password, where the drive's password wrap is on), on a computer whose account server does not
 * hold it: the drive envelope gives the AMK, which opens the account slot and the vault record
 * sealed beside it. A password slot for the random password main sent is then added, so the vault
 * opens here like any other. The AMK lives only in this op and is wiped.
 */
import { emptyOutcome, type JobOutcome, type JobRequest } from '../../src-shared/job-protocol';
import { keyIdOf } from '../../src-shared/account-crypto';
import { repoPlace } from '../../src-shared/repo-location';
import {
  EngineError,
  Repository,
  amkFromAccountPassword,
  amkFromRecoveryKey,
  recoveryKeyFromText,
} from '../../src-engine/index';
import type { JobContext } from './job-context';
import { storageFor } from './repository-ops';

export async function openDriveOp(
  request: Extract<JobRequest, { op: 'openDrive' }>,
  ctx: JobContext,
): Promise<JobOutcome> {
  const place = repoPlace(request.repo);
  if (request.repo.kind !== 'local') {
    throw new EngineError('INVALID_ARGUMENT', `only a folder vault carries a drive envelope, not ${place}`);
  }
  if ((request.recoveryKey === undefined) === (request.accountPassword === undefined)) {
    throw new EngineError('INVALID_ARGUMENT', 'give either the recovery key or the account password');
  }
  const storage = storageFor(request.repo);
  const problem = (file: string, reason: string) => ctx.log('warning', null, `${file}: ${reason}`);
  let amk: Uint8Array;
  if (request.recoveryKey !== undefined) {
    const key = await recoveryKeyFromText(request.recoveryKey);
    try {
      amk = await amkFromRecoveryKey(storage, key, problem);
    } finally {
      key.fill(0);
    }
  } else {
    amk = await amkFromAccountPassword(storage, request.accountPassword!, problem);
  }
  try {
    const repo = await Repository.openWithAccountKey(storage, amk);
    ctx.throwIfCancelled();
    const record = await repo.readAccountMetadata(amk);
    const keyId = await keyIdOf(amk);
    const value = {
      op: 'openDrive' as const,
      repositoryId: repo.config.id,
      vaultId: record.vaultId,
      name: record.name,
      createdAt: record.createdAt,
      keyId,
    };
    // Checked before any slot is added: such a drive is connected, not opened again.
    const refused =
      request.unlockedKeyId !== undefined && keyId === request.unlockedKeyId
        ? ('own-account' as const)
        : request.repositoryIdsHere?.includes(repo.config.id)
          ? ('already-here' as const)
          : undefined;
    if (refused) {
      return {
        ...emptyOutcome('success', `Nothing was added ${place}.`, null),
        value: { ...value, refused },
      };
    }
    await repo.addKey(request.newPassword);
    const message = `Opened the vault ${place} with its account's key and added this computer's key.`;
    ctx.log('info', null, message);
    return { ...emptyOutcome('success', message, null), value };
  } finally {
    amk.fill(0);
  }
}
