/** Background directory and profile writes run on a checked copy of the account's keys. */
import { describe, expect, it } from 'vitest';
import { heldCopy } from '../../src-main/services/account-vaults/vault-directory-service';
import { keyIdOf, newAccountMasterKey } from '../../src-shared/account-crypto';

async function held() {
  const amk = newAccountMasterKey();
  return {
    serverUrl: 'http://127.0.0.1:8437',
    username: 'ann',
    accountUid: 'a'.repeat(32),
    computerId: 'c'.repeat(32),
    keyId: await keyIdOf(amk),
    amk,
    sessionToken: 'session',
    serverIsLocal: true,
  };
}

describe('heldCopy', () => {
  it('copies the AMK, so zeroing at lock does not reach a run already going', async () => {
    const keys = await held();
    const copy = (await heldCopy(keys))!;
    const bytes = new Uint8Array(keys.amk);
    keys.amk.fill(0);
    expect(copy.amk).toEqual(bytes);
    expect(copy.keyId).toBe(keys.keyId);
  });

  it('gives nothing once the AMK was zeroed (its key id no longer matches), or while locked', async () => {
    const keys = await held();
    keys.amk.fill(0);
    expect(await heldCopy(keys)).toBeNull();
    expect(await heldCopy(null)).toBeNull();
  });
});
