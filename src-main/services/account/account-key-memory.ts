/**
 * What this installation remembers about each account's keys, in the settings file (no secrets):
 * this computer's id, and per account server and username the key id and the highest credential
 * generation seen (a server that answers another key id or an older generation is refused), that
 * the account signed in here with the auth key (the legacy proof is never computed for it again),
 * and whether a recovery kit is waiting to be saved. Values are validated on read; a bad one falls
 * back to "nothing remembered" (the next unlock then remembers what the server answers). An account
 * on the embedded local server is remembered as "this computer's server", whatever its port now.
 */
import { z } from 'zod';
import { randomBytes, toHex } from '../../../src-shared/account-crypto';
import type { SignInSchemeMemory } from '../account-client';
import { THIS_COMPUTERS_SERVER } from '../../../src-shared/backup-config';
import type { SettingsStore } from '../ports';

const hex32 = z.string().regex(/^[0-9a-f]{32}$/);

const rememberedAccount = z.object({
  keyId: hex32.nullable().catch(null),
  generation: z.number().int().min(0).catch(0),
  newScheme: z.boolean().catch(false),
  kitPending: z.boolean().catch(false),
  /** "This account's server moved" was declined here for the account key with this id: not asked again. */
  moveDeclinedFor: hex32.nullable().catch(null).optional(),
});
export type RememberedAccountKeys = z.infer<typeof rememberedAccount>;

const stored = z.object({
  computerId: hex32.optional().catch(undefined),
  accounts: z.record(z.string(), rememberedAccount).catch({}),
});
type Stored = z.infer<typeof stored>;

const NOTHING: RememberedAccountKeys = { keyId: null, generation: 0, newScheme: false, kitPending: false };

/** "<server origin>/<username>", as the keychain names an account's device token. */
export function accountName(serverUrl: string, username: string): string {
  return `${new URL(serverUrl).origin}/${username.trim().toLowerCase()}`;
}

export class AccountKeyMemory implements SignInSchemeMemory {
  constructor(
    private readonly store: SettingsStore,
    /** Whether a server origin is the embedded local server's address of the moment. */
    private readonly isLocalServer: (serverUrl: string) => boolean = () => false,
  ) {}

  /** This installation's id, made once and kept: the server ties sessions, devices and device wraps to it. */
  computerId(): string {
    const data = this.read();
    if (data.computerId) return data.computerId;
    const id = toHex(randomBytes(16));
    this.write({ ...data, computerId: id });
    return id;
  }

  get(serverUrl: string, username: string): RememberedAccountKeys {
    return { ...this.entry(this.read(), serverUrl, username) };
  }

  update(serverUrl: string, username: string, patch: Partial<RememberedAccountKeys>): RememberedAccountKeys {
    const data = this.read();
    const name = this.nameOf(serverUrl, username);
    const next = { ...this.entry(data, serverUrl, username), ...patch };
    this.write({ ...data, accounts: { ...data.accounts, [name]: next } });
    return next;
  }

  usesNewScheme(serverUrl: string, username: string): boolean {
    return this.get(serverUrl, username).newScheme;
  }

  rememberNewScheme(serverUrl: string, username: string): void {
    if (!this.usesNewScheme(serverUrl, username)) this.update(serverUrl, username, { newScheme: true });
  }

  /**
   * Other servers where this username is remembered with this key id: the addresses an account may
   * have moved from (only a full sign-in that opened the key with that id may ask).
   */
  serversWithKey(serverUrl: string, username: string, keyId: string): string[] {
    const here = this.nameOf(serverUrl, username);
    const suffix = `/${username.trim().toLowerCase()}`;
    return Object.entries(this.read().accounts)
      .filter(([name, a]) => name !== here && name.endsWith(suffix) && a.keyId === keyId)
      .map(([name]) => name.slice(0, -suffix.length))
      .filter((server) => server !== THIS_COMPUTERS_SERVER);
  }

  /** "This account's server moved": what was remembered at the old address is now the new one's. */
  moveServer(from: string, to: string, username: string): void {
    const data = this.read();
    const old = data.accounts[accountName(from, username)];
    if (!old) return;
    const accounts = { ...data.accounts };
    delete accounts[accountName(from, username)];
    const now = accounts[this.nameOf(to, username)] ?? NOTHING;
    accounts[this.nameOf(to, username)] = {
      keyId: now.keyId ?? old.keyId,
      generation: Math.max(now.generation, old.generation),
      newScheme: now.newScheme || old.newScheme,
      kitPending: now.kitPending || old.kitPending,
      moveDeclinedFor: null,
    };
    this.write({ ...data, accounts });
  }

  /**
   * The account's name in the keychain, as in this memory: "this-computer/<username>" on the
   * embedded local server, whatever its port, else "<server origin>/<username>".
   */
  keychainName(serverUrl: string, username: string): string {
    return this.nameOf(serverUrl, username);
  }

  private nameOf(serverUrl: string, username: string): string {
    if (!this.isLocalServer(serverUrl)) return accountName(serverUrl, username);
    return `${THIS_COMPUTERS_SERVER}/${username.trim().toLowerCase()}`;
  }

  /** What is remembered; for the local server, also what was kept under its address of the moment. */
  private entry(data: Stored, serverUrl: string, username: string): RememberedAccountKeys {
    return (
      data.accounts[this.nameOf(serverUrl, username)] ??
      data.accounts[accountName(serverUrl, username)] ??
      NOTHING
    );
  }

  private read(): Stored {
    let raw: unknown;
    try {
      raw = this.store.read('accountKeys');
    } catch {
      raw = undefined;
    }
    const parsed = stored.safeParse(typeof raw === 'object' && raw !== null ? raw : {});
    return parsed.success ? parsed.data : { accounts: {} };
  }

  private write(data: Stored): void {
    this.store.write('accountKeys', data);
  }
}
