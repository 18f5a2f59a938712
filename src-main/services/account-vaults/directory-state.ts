/**
 * What this computer remembers of its account's directory, per account (settings key
 * "accountDirectory"): the highest version it has seen of each vault row and each computer profile
 * (a server answering an older one is refused), and the vaults this computer has written rows for
 * (so removing one here soft-deletes its row). No secrets: ids and numbers.
 */
import { z } from 'zod';
import { configId } from '../../../src-shared/backup-config';
import { accountUid, computerId, rowVersion } from '../../../src-shared/account-keys';
import type { SettingsStore } from '../ports';

const accountState = z
  .object({
    vaults: z.record(configId, rowVersion),
    profiles: z.record(computerId, rowVersion),
    joined: z.array(configId),
  })
  .strict();
type AccountState = z.infer<typeof accountState>;
const stored = z.record(accountUid, accountState);

export class DirectoryState {
  constructor(private readonly store: SettingsStore) {}

  private all(): Record<string, AccountState> {
    const parsed = stored.safeParse(this.store.read('accountDirectory'));
    // A missing or damaged entry remembers nothing: the server's rows are still checked by their seals.
    return parsed.success ? parsed.data : {};
  }

  private of(account: string): AccountState {
    return this.all()[account] ?? { vaults: {}, profiles: {}, joined: [] };
  }

  private change(account: string, fn: (s: AccountState) => void): void {
    const all = this.all();
    const s = all[account] ?? { vaults: {}, profiles: {}, joined: [] };
    fn(s);
    all[account] = s;
    this.store.write('accountDirectory', all);
  }

  vaultVersion(account: string, vaultId: string): number {
    return this.of(account).vaults[vaultId] ?? 0;
  }

  profileVersion(account: string, computer: string): number {
    return this.of(account).profiles[computer] ?? 0;
  }

  sawVault(account: string, vaultId: string, version: number): void {
    if (version <= this.vaultVersion(account, vaultId)) return;
    this.change(account, (s) => void (s.vaults[vaultId] = version));
  }

  sawProfile(account: string, computer: string, version: number): void {
    if (version <= this.profileVersion(account, computer)) return;
    this.change(account, (s) => void (s.profiles[computer] = version));
  }

  joined(account: string): string[] {
    return this.of(account).joined;
  }

  setJoined(account: string, vaultId: string, joined: boolean): void {
    const now = this.joined(account).includes(vaultId);
    if (now === joined) return;
    this.change(account, (s) => {
      s.joined = joined ? [...s.joined, vaultId] : s.joined.filter((id) => id !== vaultId);
    });
  }
}
