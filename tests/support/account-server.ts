/**
 * Test fixture: a real account server on loopback with a real SQLite file in a fresh temporary
 * data directory, for vitest and Playwright tests of the server, the panel and the desktop.
 *
 *   const server = await startTestAccountServer();
 *   await server.createUser('alice', 'correct horse battery');
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
import type { ScryptParams } from '../../src-server/services/password-hasher';

/** Cheap scrypt for tests (about 1 ms a hash); the default server uses OWASP's N=2^17. */
export const TEST_SCRYPT: ScryptParams = { N: 2 ** 10, r: 8, p: 1 };

export type TestAccountServerOptions = Partial<Omit<AccountServerOptions, 'dataDir' | 'port'>> & {
  /** Reuse a data directory (e.g. to prove state survives a restart); it is then not deleted. */
  dataDir?: string;
};

export interface TestAccountServer {
  url: string;
  dataDir: string;
  server: AccountServer;
  /** Creates an account exactly as `npm run server -- user add` does. */
  createUser(username: string, password: string): Promise<void>;
  /**
   * Turns TOTP on through the real begin/confirm enrolment and returns the base32 secret.
   * The confirmation uses the previous step's code, so the *current* code can be used to sign
   * in straight away (as for a person whose phone runs a little behind).
   */
  enableTotp(username: string): Promise<string>;
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
    scrypt: TEST_SCRYPT,
    // Every /api answer of every test is checked against the contract's reply schemas.
    validateReplies: true,
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
      await accounts.create(username, password);
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
