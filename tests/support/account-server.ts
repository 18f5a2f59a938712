/**
 * Test fixture: a real account server on loopback with a real SQLite file in a fresh temporary
 * data directory, for vitest and Playwright tests of the server, the panel and the desktop.
 *
 *   const server = await startTestAccountServer();
 *   await server.createUser('alice', 'correct horse battery');   // the account's own password
 *   const body = await signInCredentials(server.url, 'alice', 'correct horse battery');
 *   const secret = await server.enableTotp('alice');       // base32, as a phone would hold it
 *   const code = totpCode(secret);                         // the current six-digit code
 *   ...
 *   await server.close();
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAccountServer, type AccountServer, type AccountServerOptions } from '../../src-server/app';
import type { RequestContext } from '../../src-server/services/audit-log';
import type { SignInParams } from '../../src-shared/account-keys-api';
import { derivedKeys, legacyProof, testKdf } from './derived-keys';

export type TestAccountServerOptions = Partial<Omit<AccountServerOptions, 'dataDir' | 'port'>> & {
  /** Reuse a data directory (e.g. to prove state survives a restart); it is then not deleted. */
  dataDir?: string;
};

export interface TestAccountServer {
  url: string;
  dataDir: string;
  server: AccountServer;
  /**
   * Creates an account whose password is its own (not temporary, unlike `npm run server -- user
   * add`), with the auth key derived as a client does (test parameters: testKdf).
   */
  createUser(username: string, password: string): Promise<void>;
  /**
   * Turns TOTP on through the real begin/confirm enrolment and returns the base32 secret.
   * The confirmation uses the previous step's code, so the *current* code can be used to sign
   * in straight away (as for a person whose phone runs a little behind).
   */
  enableTotp(username: string): Promise<string>;
  /**
   * Gives the account a new password of its own, as a password change elsewhere does (every
   * session, device and storage token ends, each told "password changed").
   */
  changePassword(username: string, password: string): Promise<void>;
  /** Same, also returning the ten recovery codes shown at enrolment. */
  enableTotpWithRecoveryCodes(username: string): Promise<{ secret: string; recoveryCodes: string[] }>;
  /** Stops the server and deletes the temporary data directory (unless it was given). */
  close(): Promise<void>;
}

const FIXTURE_CONTEXT: RequestContext = { address: '127.0.0.1', client: 'panel', device: null };

export async function startTestAccountServer(
  opts: TestAccountServerOptions = {},
): Promise<TestAccountServer> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'strongroom-server-test-'));
  const server = await startAccountServer({
    // Every /api answer of every test is checked against the contract's reply schemas.
    validateReplies: true,
    // The old sign-in is off unless a test turns it on: no legacy proof to compute at every sign-in.
    legacySignInUntil: 0,
    // Tests sign in far more often than people; the budget itself has its own test.
    signInParamsPerMinute: 100_000,
    ...opts,
    dataDir,
    host: '127.0.0.1',
    port: 0,
  });
  const { accounts, totpEnrolment, clock } = server.services;

  const enable = async (username: string) => {
    const account = accounts.byUsername(username.trim().toLowerCase());
    if (!account) throw new Error(`No account named ${username}.`);
    const enrolment = await totpEnrolment.begin(account);
    const code = totpCode(enrolment.secretBase32, clock.now() - 30_000);
    const recoveryCodes = totpEnrolment.confirm(account, code, FIXTURE_CONTEXT);
    return { secret: enrolment.secretBase32, recoveryCodes };
  };

  return {
    url: server.url,
    dataDir,
    server,
    async createUser(username, password) {
      const kdf = testKdf(password);
      accounts.create(username, kdf, (await derivedKeys(password, kdf)).authKey, { temporary: false });
    },
    async changePassword(username, password) {
      const kdf = testKdf(password);
      const { passwords, db } = server.services;
      const account = passwords.reset(username, kdf, (await derivedKeys(password, kdf)).authKey, {
        resetTotp: false,
      });
      // The administrator's reset makes it temporary; a person's own change does not.
      db.prepare('UPDATE accounts SET password_temporary = 0, password_wrap_current = 1 WHERE id = ?').run(
        account.id,
      );
    },
    async enableTotp(username) {
      return (await enable(username)).secret;
    },
    enableTotpWithRecoveryCodes: enable,
    async close() {
      await server.close();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
      if (server.replyProblems.length > 0) {
        throw new Error(`Answers that do not match the contract:\n${server.replyProblems.join('\n')}`);
      }
    },
  };
}

/**
 * What a client sends instead of the password, derived as the app and the panel do: the server's
 * parameters for the name, the auth key (cached across tests), and the legacy proof while the
 * server answers legacy parameters (unless `legacy: false`, a client that has used the new scheme).
 */
export async function signInCredentials(
  baseUrl: string,
  username: string,
  password: string,
  opts: { legacy?: boolean; headers?: Record<string, string> } = {},
): Promise<{ authKey: string; legacyProof?: string }> {
  const response = await fetch(`${baseUrl}/api/sign-in/params`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...opts.headers },
    body: JSON.stringify({ username }),
  });
  if (!response.ok) throw new Error(`sign-in parameters: ${response.status} ${await response.text()}`);
  const params = (await response.json()) as SignInParams;
  const { authKey } = await derivedKeys(password, params.kdf);
  if (params.legacy === null || opts.legacy === false) return { authKey };
  return { authKey, legacyProof: await legacyProof(password, params.legacy) };
}

/** The body of POST /api/device-sign-in as the app sends it (a fixed computer id unless given). */
export async function deviceSignInBody(
  baseUrl: string,
  username: string,
  password: string,
  deviceName = 'Laptop',
  computerId = 'c0ffee'.padEnd(32, '0'),
): Promise<Record<string, string>> {
  return { username, ...(await signInCredentials(baseUrl, username, password)), deviceName, computerId };
}

// ---- an independent TOTP (RFC 6238), so tests do not trust otpauth alone -----------------

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[=\s]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const index = BASE32.indexOf(ch);
    if (index < 0) throw new Error(`Not base32: ${ch}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** HOTP (RFC 4226) with HMAC-SHA1 and dynamic truncation. */
export function hotp(key: Buffer, counter: number, digits = 6): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The TOTP code (SHA-1, 30 s steps) of a base32 secret at a time in milliseconds (default now). */
export function totpCode(secretBase32: string, atMs: number = Date.now(), digits = 6): string {
  return hotp(base32Decode(secretBase32), Math.floor(atMs / 1000 / 30), digits);
}
