/**
 * `npm run bench -- auth [--seconds S] [--flood N] [--flood-connections C]`
 *
 * Runs the real account server (`src-server/cli.ts`) as a child process on loopback and measures
 * from this process (clients send the auth key, derived once here: the server's own work per
 * sign-in is an HMAC, no password hash):
 *  1. sign-ins per second and p50/p99 latency with 1, 8 and 64 concurrent clients;
 *  2. a flood of N wrong TOTP codes (the attacker knows the password) against one account from C
 *     connections, each request from a fresh address (X-Forwarded-For through --trust-proxy, the
 *     worst case: no per-address limit helps), counting how many reached the code check against
 *     what the back-off schedule allows, and the p99 latency of other users' requests meanwhile.
 * Loopback only, bounded in time and requests.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { openServices } from '../src-server/app';
import { newPasswordKdf, passwordKeys, toBase64url } from '../src-shared/account-crypto';
import { FREE_FAILURES, waitAfterFailures } from '../src-server/services/throttle';
import { totpCode } from '../tests/support/account-server';
import { startServerChild } from './server-child';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    flood: { type: 'string', default: '10000' },
    'flood-connections': { type: 'string', default: '200' },
  },
});
const SECONDS = Number(values.seconds);
const FLOOD = Number(values.flood);
const FLOOD_CONNECTIONS = Number(values['flood-connections']);
const PASSWORD = 'bench password 1234';
/** Every bench account gets the same parameters, so one derivation serves all their sign-ins. */
const KDF = newPasswordKdf();
const AUTH_KEY = toBase64url((await passwordKeys(PASSWORD, KDF)).authKey);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const ms = (n: number) => `${n.toFixed(1)} ms`;

let addressCounter = 0;
/** A fresh documentation-range-free address per call: 10.x.y.z. */
function nextAddress(): string {
  const n = ++addressCounter;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

async function post(url: string, path: string, body: unknown, address: string) {
  const started = performance.now();
  const response = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { error?: string; csrfToken?: string; secretBase32?: string };
  return { status: response.status, json, ms: performance.now() - started, response };
}

async function signInLoad(url: string, users: string[], concurrency: number, seconds: number) {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      const username = users[worker]!;
      do {
        const r = await post(url, '/api/session', { username, authKey: AUTH_KEY }, `172.16.0.${worker + 1}`);
        if (r.status !== 200) {
          failures++;
          if (failures === 1) console.error(`first failure: ${r.status} ${JSON.stringify(r.json)}`);
        }
        latencies.push(r.ms);
      } while (performance.now() < deadline);
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    n: latencies.length,
    perSecond: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failures,
  };
}

/** Attempts the schedule lets through in `seconds` for an attacker retrying the moment each wait ends. */
function scheduleAllows(seconds: number): number {
  let t = 0;
  let failures = 0;
  while (true) {
    failures++;
    const wait = waitAfterFailures(failures);
    if (t + wait > seconds) return failures;
    t += wait;
  }
}

/** Creates the accounts in the data directory (their own passwords, not temporary), while the server runs. */
async function createAccounts(dataDir: string, names: string[]): Promise<void> {
  const services = openServices(dataDir);
  try {
    for (const name of names) services.accounts.create(name, KDF, AUTH_KEY, { temporary: false });
  } finally {
    services.db.close();
  }
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-bench-auth-'));
  const server = await startServerChild(dataDir, ['--no-build-panel']);
  try {
    const cpuModel =
      /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model;
    console.log(`machine: ${cpus().length} cores (nproc), ${cpuModel}, node ${process.version}`);
    console.log(
      `sign-in: the auth key (Argon2id m=${KDF.m} KiB t=${KDF.t}, derived once here); server: HMAC`,
    );

    // One account per client: concurrent sign-ins to one account are charged to its throttle
    // counter while in flight (see docs/server.md), which is not what this part measures. Made as
    // the administrator's `user add` does: sign-up is throttled (and off behind a proxy).
    const users = Array.from({ length: 64 }, (_, i) => `bench-${i + 1}`);
    await createAccounts(dataDir, [...users, 'victim']);

    console.log(`\nsign-ins (auth key only, ${SECONDS} s per level):`);
    console.log('clients  sign-ins  per second  p50         p99');
    for (const c of [1, 8, 64]) {
      const r = await signInLoad(server.url, users, c, SECONDS);
      if (r.failures) throw new Error(`${r.failures} sign-ins failed`);
      console.log(
        `${String(c).padStart(7)}  ${String(r.n).padStart(8)}  ${r.perSecond.toFixed(2).padStart(10)}  ${ms(r.p50).padEnd(10)}  ${ms(r.p99)}`,
      );
    }

    // ---- the flood ------------------------------------------------------------------
    const session = await post(
      server.url,
      '/api/session',
      { username: 'victim', authKey: AUTH_KEY },
      '172.16.1.2',
    );
    const cookie = session.response.headers.getSetCookie()[0]!.split(';')[0]!;
    const headers = {
      'content-type': 'application/json',
      cookie,
      'x-csrf-token': session.json.csrfToken!,
      'x-forwarded-for': '172.16.1.2',
    };
    const begin = (await (
      await fetch(`${server.url}/api/account/totp/begin`, { method: 'POST', headers, body: '{}' })
    ).json()) as { secretBase32: string };
    const confirm = await fetch(`${server.url}/api/account/totp/confirm`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ code: totpCode(begin.secretBase32) }),
    });
    if (confirm.status !== 200) throw new Error('TOTP enrolment failed');
    const valid = new Set([-1, 0, 1].map((d) => totpCode(begin.secretBase32, Date.now() + d * 30_000)));
    let wrong = 0;
    const wrongCode = () => {
      let code: string;
      do code = String(wrong++ % 1_000_000).padStart(6, '0');
      while (valid.has(code));
      return code;
    };

    // Other users, signed in, reading their account and signing in again during the flood.
    const other = await post(
      server.url,
      '/api/session',
      { username: 'bench-1', authKey: AUTH_KEY },
      '172.16.2.1',
    );
    const otherCookie = other.response.headers.getSetCookie()[0]!.split(';')[0]!;
    const readLatencies: number[] = [];
    const signInLatencies: number[] = [];
    let flooding = true;
    const readers = Array.from({ length: 4 }, async () => {
      while (flooding) {
        const started = performance.now();
        const r = await fetch(`${server.url}/api/account`, {
          headers: { cookie: otherCookie, 'x-forwarded-for': '172.16.2.1' },
        });
        await r.arrayBuffer();
        readLatencies.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
    const signers = Array.from({ length: 2 }, async (_, i) => {
      while (flooding) {
        const r = await post(
          server.url,
          '/api/session',
          { username: users[i + 2]!, authKey: AUTH_KEY },
          `172.16.3.${i + 1}`,
        );
        if (r.status === 200) signInLatencies.push(r.ms);
      }
    });

    const counts = { reached: 0, throttled: 0, other: 0 };
    let sent = 0;
    const floodStarted = performance.now();
    await Promise.all(
      Array.from({ length: FLOOD_CONNECTIONS }, async () => {
        while (sent < FLOOD) {
          sent++;
          const r = await post(
            server.url,
            '/api/session',
            { username: 'victim', authKey: AUTH_KEY, totp: wrongCode() },
            nextAddress(),
          );
          if (r.status === 401 && r.json.error === 'invalid_credentials') counts.reached++;
          else if (r.status === 429) counts.throttled++;
          else counts.other++;
        }
      }),
    );
    const floodSeconds = (performance.now() - floodStarted) / 1000;
    flooding = false;
    await Promise.all([...readers, ...signers]);

    const db = new Database(join(dataDir, 'strongroom.sqlite'), { readonly: true });
    const audited = (
      db
        .prepare(
          "SELECT COUNT(*) AS n FROM audit_events e JOIN accounts a ON a.id = e.account_id WHERE a.username = 'victim' AND e.kind = 'sign_in_failure'",
        )
        .get() as { n: number }
    ).n;
    db.close();

    readLatencies.sort((a, b) => a - b);
    signInLatencies.sort((a, b) => a - b);
    console.log(
      `\nflood: ${FLOOD} wrong codes for one account from ${FLOOD_CONNECTIONS} connections, a new client address per request`,
    );
    console.log(`  took ${floodSeconds.toFixed(1)} s (${(FLOOD / floodSeconds).toFixed(0)} requests/s)`);
    console.log(
      `  reached the code check: ${counts.reached} (audit log: ${audited} failures); refused 429 before any password work: ${counts.throttled}; other: ${counts.other}`,
    );
    console.log(
      `  back-off schedule allows ${scheduleAllows(floodSeconds)} attempts in ${floodSeconds.toFixed(1)} s (${FREE_FAILURES} free, then waits of 1, 2, 4 ... s)`,
    );
    console.log(
      `  other users during the flood: GET /api/account p50 ${ms(percentile(readLatencies, 50))}, p99 ${ms(percentile(readLatencies, 99))} (${readLatencies.length} requests)`,
    );
    console.log(
      `                                sign-in p50 ${ms(percentile(signInLatencies, 50))}, p99 ${ms(percentile(signInLatencies, 99))} (${signInLatencies.length} sign-ins)`,
    );
  } finally {
    server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
