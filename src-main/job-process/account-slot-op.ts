/**
 * A vault's entry in its own repository, so it opens from the account even when the server's
 * directory is lost: the account slot (the master key under the AMK's vault slot key, the directory
 * record beside it) and, for a folder vault, the drive envelope with its check (docs/repository-format.md,
 * "Keys"). Main sends the vault slot key and the envelope MAC key, never the AMK.
 */
import { fromBase64url } from '../../src-shared/account-crypto';
import type { VaultRecord } from '../../src-shared/account-keys';
import { emptyOutcome, type JobOutcome, type JobRequest } from '../../src-shared/job-protocol';
import {
  EngineError,
  envelopeCheck,
  envelopeWrapGeneration,
  readEnvelope,
  writeEnvelope,
} from '../../src-engine/index';
import { repoPlace } from '../../src-shared/repo-location';
import type { JobContext } from './job-context';
import { openRepository } from './repository-ops';

export async function accountSlotOp(
  request: Extract<JobRequest, { op: 'accountSlot' }>,
  ctx: JobContext,
): Promise<JobOutcome> {
  const place = repoPlace(request.repo);
  if (request.envelope && request.repo.kind !== 'local') {
    throw new EngineError(
      'INVALID_ARGUMENT',
      `a drive envelope belongs only in a folder vault, not ${place}`,
    );
  }
  if (request.envelope && !request.envelopeMacKey) {
    throw new EngineError('INVALID_ARGUMENT', 'a drive envelope was sent without the key of its check');
  }
  const repo = await openRepository(request, ctx);
  if (request.record.repositoryId !== repo.config.id) {
    throw new EngineError(
      'INVALID_ARGUMENT',
      `the vault record names repository ${request.record.repositoryId}, but the repository ${place} is ${repo.config.id}`,
    );
  }
  const key = { slotKey: fromBase64url(request.slotKey), keyId: request.keyId };
  const macKey = request.envelopeMacKey ? fromBase64url(request.envelopeMacKey) : null;
  try {
    const slots = await repo.accountSlots(key);
    let envelope: 'written' | 'kept' | 'none' = 'none';
    if (request.envelope && macKey) {
      const existing = await readEnvelope(repo.storage, request.envelope.accountUid).catch((err: unknown) => {
        if (err instanceof EngineError && err.code === 'CORRUPT') return undefined;
        throw err;
      });
      const check = existing ? await envelopeCheck(existing, macKey) : 'missing';
      // Kept only when its check verifies (only the AMK makes one), then by the wraps' own
      // generations; an envelope of another key id is always replaced.
      if (
        existing &&
        check === 'verified' &&
        existing.keyId === request.envelope.keyId &&
        envelopeWrapGeneration(existing) >= envelopeWrapGeneration(request.envelope)
      ) {
        envelope = 'kept';
      } else {
        await writeEnvelope(repo.storage, request.envelope, macKey);
        envelope = 'written';
        if (check === 'failed') {
          ctx.log(
            'warning',
            null,
            `The drive's copy of the account keys ${place} did not verify and was rewritten.`,
          );
        } else if (existing && check === 'missing') {
          // Written by a version before envelopes carried a check: nothing says it was changed.
          ctx.log('info', null, `Added a check to the drive's copy of the account keys ${place}.`);
        } else {
          ctx.log('info', null, `Wrote the account's drive envelope ${place}.`);
        }
      }
    }
    // Once a checked envelope is on the drive, the slot records it (sealed under the AMK), so one
    // whose check was deleted is refused; never taken back once recorded.
    const carriesMac =
      envelope !== 'none' || slots.some((s) => s.record?.envelopeMac === true)
        ? { envelopeMac: true as const }
        : {};
    const record: VaultRecord = { ...request.record, ...carriesMac };
    let accountSlot: 'written' | 'kept' = 'kept';
    if (!slots.some((s) => s.record !== null && sameRecord(s.record, record))) {
      await repo.addAccountSlot(key, record);
      // The new slot is written first, so the repository always has one of this account.
      for (const old of slots) await repo.removeKey(old.id);
      accountSlot = 'written';
      ctx.log('info', null, `Wrote the vault's account key ${place}.`);
    }
    return {
      ...emptyOutcome('success', `The vault's account entry ${place} is up to date.`, null),
      value: { op: 'accountSlot', repositoryId: repo.config.id, accountSlot, envelope },
    };
  } finally {
    key.slotKey.fill(0);
    macKey?.fill(0);
  }
}

/** Field by field, whatever order the keys were written in. */
function sameRecord(a: VaultRecord, b: VaultRecord): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
