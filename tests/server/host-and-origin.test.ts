/**
 * DNS rebinding and cross-site requests: the server answers only to the host names it is
 * configured for, and refuses state-changing requests whose Origin is another site.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HostPolicy } from '../../src-server/http/host-and-origin';
import {
  deviceSignInBody,
  signInCredentials,
  startTestAccountServer,
  type TestAccountServer,
} from '../support/account-server';
import { signupBody } from '../support/derived-keys';
import { ManualClock } from './helpers';

const PASSWORD = 'correct horse battery';
let server: TestAccountServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests inspect arbitrary JSON
}

/** node:http, because fetch() will not let a caller set Host. */
function raw(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<Raw> {
  const { hostname, port } = new URL(url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: hostname,
        port,
        method,
        path,
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = text === '' ? null : JSON.parse(text);
          } catch {
            // HTML
          }
          resolve({ status: res.statusCode!, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('the Host check', () => {
  it('refuses a rebound host name, even with a matching Origin, and creates nothing', async () => {
    server = await startTestAccountServer({ clock: new ManualClock() });
    const port = new URL(server.url).port;
    const evil = `rebind.attacker.example:${port}`;
    const answer = await raw(
      server.url,
      'POST',
      '/api/signup',
      { host: evil, origin: `http://${evil}` },
      await signupBody('mallory', PASSWORD),
    );
    expect(answer.status).toBe(421);
    expect(answer.body).toMatchObject({
      error: 'unknown_host',
      message: expect.stringContaining('--public-url'),
    });
    expect(answer.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(server.server.services.accounts.byUsername('mallory')).toBeUndefined();
    // Reading the panel through a rebound name is refused too (it would read the session's pages).
    expect((await raw(server.url, 'GET', '/api/server-info', { host: evil })).status).toBe(421);
  });

  it('answers on the loopback names with its own port, and nothing else by default', async () => {
    server = await startTestAccountServer({ clock: new ManualClock() });
    const port = new URL(server.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
      expect({ host, status: (await raw(server.url, 'GET', '/api/server-info', { host })).status }).toEqual({
        host,
        status: 200,
      });
    }
    // (No Host at all: tests/server/parser-errors.test.ts, over a raw socket.)
    for (const host of [
      '127.0.0.1:1',
      `127.0.0.2:${port}`,
      'localhost',
      `example.com:${port}`,
      'localhost.:1',
    ]) {
      expect({ host, status: (await raw(server.url, 'GET', '/api/server-info', { host })).status }).toEqual({
        host,
        status: 421,
      });
    }
  });

  it('answers to the host of --public-url, also behind a proxy that passes X-Forwarded-Host', async () => {
    server = await startTestAccountServer({
      clock: new ManualClock(),
      trustProxy: true,
      publicUrl: 'https://backup.example.com',
    });
    const ok = await raw(server.url, 'GET', '/api/server-info', { host: 'backup.example.com' });
    expect(ok.status).toBe(200);
    const forwarded = await raw(server.url, 'GET', '/api/server-info', {
      host: `127.0.0.1:${new URL(server.url).port}`,
      'x-forwarded-host': 'backup.example.com',
      'x-forwarded-proto': 'https',
    });
    expect(forwarded.status).toBe(200);
    const other = await raw(server.url, 'GET', '/api/server-info', { host: 'other.example.com' });
    expect(other.status).toBe(421);
  });
});

describe('the names a server with a TLS certificate answers to', () => {
  it('takes the certificate’s DNS and IP names (a wildcard covers one label), with the port', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strongroom-tls-names-'));
    try {
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
        '-subj', '/CN=backup.example.com',
        '-addext', 'subjectAltName=DNS:backup.example.com,DNS:*.backup.example.org,IP:192.0.2.10',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      ], { stdio: 'ignore' }); // prettier-ignore
      const policy = new HostPolicy({
        protocol: 'https',
        listenHost: '0.0.0.0',
        port: () => 443,
        tlsCert: readFileSync(join(dir, 'cert.pem')),
      });
      for (const host of [
        'backup.example.com',
        'BACKUP.example.com:443',
        'eu.backup.example.org',
        '192.0.2.10',
      ]) {
        expect({ host, ok: policy.allows(host) }).toEqual({ host, ok: true });
      }
      for (const host of [
        'backup.example.com:8443',
        'a.eu.backup.example.org',
        'backup.example.org',
        'evil.example',
      ]) {
        expect({ host, ok: policy.allows(host) }).toEqual({ host, ok: false });
      }
      expect(policy.allows('localhost:443')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the Origin check', () => {
  it('refuses a state-changing request from another site, and lets one without Origin through', async () => {
    server = await startTestAccountServer({ clock: new ManualClock() });
    const host = new URL(server.url).host;
    await server.createUser('alice', PASSWORD);
    const crossSite = await raw(
      server.url,
      'POST',
      '/api/session',
      { host, origin: 'https://attacker.example' },
      { username: 'alice', ...(await signInCredentials(server.url, 'alice', PASSWORD)) },
    );
    expect([crossSite.status, crossSite.body.error]).toEqual([403, 'csrf']);
    const nullOrigin = await raw(
      server.url,
      'POST',
      '/api/signup',
      { host, origin: 'null' },
      await signupBody('mallory', PASSWORD),
    );
    expect([nullOrigin.status, nullOrigin.body.error]).toEqual([403, 'csrf']);
    const otherPort = await raw(
      server.url,
      'POST',
      '/api/signup',
      { host, origin: 'http://127.0.0.1:1' },
      await signupBody('mallory', PASSWORD),
    );
    expect(otherPort.status).toBe(403);
    const fetchMetadata = await raw(
      server.url,
      'POST',
      '/api/signup',
      { host, 'sec-fetch-site': 'cross-site' },
      await signupBody('mallory', PASSWORD),
    );
    expect(fetchMetadata.status).toBe(403);
    expect(server.server.services.accounts.byUsername('mallory')).toBeUndefined();

    // The panel (same origin), the desktop's Node fetch and restic (no Origin) go through.
    const sameOrigin = await raw(
      server.url,
      'POST',
      '/api/session',
      { host, origin: server.url, 'sec-fetch-site': 'same-origin' },
      { username: 'alice', ...(await signInCredentials(server.url, 'alice', PASSWORD)) },
    );
    expect(sameOrigin.status).toBe(200);
    const noOrigin = await fetch(`${server.url}/api/device-sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(await deviceSignInBody(server.url, 'alice', PASSWORD, 'laptop')),
    });
    expect(noOrigin.status).toBe(200);
    // A cross-site GET of public data is not state-changing (CORS still keeps its answer from the page).
    expect(
      (await raw(server.url, 'GET', '/api/server-info', { host, origin: 'https://attacker.example' })).status,
    ).toBe(200);
  });
});
