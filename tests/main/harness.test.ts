/**
 * The browser harness's own guarantees (the Playwright journeys in tests/e2e/desktop drive the
 * renderer through it): the token and Origin checks of the bridge, the page it serves, and closing
 * the page counting as closing the window. Real services, a real account server.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startHarness, type Harness } from '../../src-harness/harness';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';

const PASSWORD = 'correct horse battery';
let server: TestAccountServer;
let rendererDir: string;
let dataDir: string;
let harness: Harness;

beforeAll(async () => {
  server = await startTestAccountServer();
  await server.createUser('alice', PASSWORD);
  // A stand-in renderer build: the real one is built by `npm run build:renderer` after vitest.
  rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-renderer-'));
  fs.mkdirSync(path.join(rendererDir, 'desktop'));
  fs.mkdirSync(path.join(rendererDir, 'assets'));
  fs.writeFileSync(
    path.join(rendererDir, 'desktop', 'index.html'),
    '<!doctype html><html><head><script type="module" src="../assets/app.js"></script></head><body></body></html>',
  );
  fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log("app")');
});
afterAll(async () => {
  await server.close();
  fs.rmSync(rendererDir, { recursive: true, force: true });
});
beforeEach(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-harness-test-'));
  harness = await startHarness({ dataDir, serverUrl: server.url, rendererDir, log: () => undefined });
});
afterEach(async () => {
  await harness.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const token = () => new URL(harness.url).searchParams.get('token')!;

function get(pathname: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>(
    (resolve, reject) => {
      const req = http.request(`${harness.origin}${pathname}`, { headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

type Message = {
  type: string;
  id?: number;
  result?: { ok: boolean; value?: unknown; error?: { code: string } };
};

class Bridge {
  readonly messages: Message[] = [];
  private nextId = 1;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.messages.push(JSON.parse(data.toString()) as Message));
  }
  static open(opts: { token?: string; origin?: string } = {}): Promise<Bridge> {
    const ws = new WebSocket(
      `ws://127.0.0.1:${new URL(harness.origin).port}/bridge?token=${opts.token ?? token()}`,
      {
        origin: opts.origin ?? harness.origin,
      },
    );
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new Bridge(ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }
  async call(channel: string, input?: unknown) {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, channel, input }));
    // The answer is the condition; the bound only ends a hung test (an unlock takes seconds on a busy machine).
    await expect
      .poll(() => this.messages.some((m) => m.type === 'result' && m.id === id), { timeout: 20_000 })
      .toBe(true);
    return this.messages.find((m) => m.type === 'result' && m.id === id)!.result!;
  }
  closed() {
    return new Promise<void>((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) resolve();
      else this.ws.once('close', () => resolve());
    });
  }
}

describe('the page', () => {
  it('serves the desktop page with the bridge script before the app, under a CSP without inline script', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.body.indexOf('src="./harness-bridge.js"')).toBeGreaterThan(-1);
    expect(page.body.indexOf('harness-bridge.js')).toBeLessThan(page.body.indexOf('../assets/app.js'));
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).not.toContain('unsafe-inline');
    const bridge = await get('/harness-bridge.js');
    expect(bridge.body).toContain('"auth:unlock"');
    expect(bridge.body).toContain('"onLocked":"event:locked"');
    expect((await get('/assets/app.js')).status).toBe(200);
  });

  it('serves nothing outside the renderer build', async () => {
    expect((await get('/../package.json')).status).not.toBe(200);
    expect((await get('/%2e%2e/%2e%2e/package.json')).status).not.toBe(200);
    expect((await get('/assets/../../package.json')).status).not.toBe(200);
  });

  it('answers only requests addressed to its own loopback host (DNS rebinding)', async () => {
    expect((await get('/', { host: 'evil.example' })).status).toBe(421);
  });
});

describe('the bridge', () => {
  it('refuses a wrong token', async () => {
    await expect(Bridge.open({ token: 'x'.repeat(43) })).rejects.toThrow('HTTP 403');
    await expect(Bridge.open({ token: '' })).rejects.toThrow('HTTP 403');
  });

  it('refuses another origin', async () => {
    await expect(Bridge.open({ origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
  });

  it('answers the contract through the same gate as Electron', async () => {
    const bridge = await Bridge.open();
    expect(await bridge.call('lock:status')).toMatchObject({
      ok: true,
      value: { locked: true, serverUrl: server.url },
    });
    expect(await bridge.call('account:get')).toMatchObject({ ok: false, error: { code: 'locked' } });
    expect(await bridge.call('auth:unlock', { username: 'alice' })).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
    expect(await bridge.call('auth:unlock', { username: 'alice', password: PASSWORD })).toMatchObject({
      ok: true,
      value: { username: 'alice' },
    });
    const account = await bridge.call('account:get');
    expect(account, JSON.stringify(account)).toMatchObject({ ok: true, value: { username: 'alice' } });
    bridge.ws.close();
  });

  it('closing the page locks the app (reason "close")', async () => {
    const bridge = await Bridge.open();
    await bridge.call('auth:unlock', { username: 'alice', password: PASSWORD });
    expect(harness.services.lock.isLocked()).toBe(false);
    bridge.ws.close();
    await expect
      .poll(() => harness.services.lock.lockState())
      .toMatchObject({ locked: true, reason: 'close' });
    const onDisk = JSON.parse(fs.readFileSync(path.join(dataDir, 'settings', 'strongroom.json'), 'utf8'));
    expect(onDisk.lock).toMatchObject({ locked: true, reason: 'close' });
  });

  it('Lock… answers, then closes the page', async () => {
    const bridge = await Bridge.open();
    await bridge.call('auth:unlock', { username: 'alice', password: PASSWORD });
    expect(await bridge.call('lock:lockAndClose')).toEqual({ ok: true, value: null });
    await bridge.closed();
    expect(bridge.messages.some((m) => m.type === 'close')).toBe(true);
    expect(harness.services.lock.lockState()).toMatchObject({ locked: true, reason: 'manual' });
  });

  it('an idle lock tells the page and reloads it', async () => {
    const bridge = await Bridge.open();
    await bridge.call('auth:unlock', { username: 'alice', password: PASSWORD });
    harness.services.lock.lockInPlace('idle');
    await expect.poll(() => bridge.messages.map((m) => m.type)).toContain('reload');
    expect(bridge.messages.find((m) => m.type === 'event')).toMatchObject({
      name: 'onLocked',
      payload: { reason: 'idle' },
    });
    bridge.ws.close();
  });

  it('a newer page takes over; the older one is closed and can no longer call', async () => {
    const first = await Bridge.open();
    await first.call('auth:unlock', { username: 'alice', password: PASSWORD });
    const second = await Bridge.open();
    await first.closed();
    expect(first.messages.some((m) => m.type === 'close')).toBe(true);
    expect(harness.services.lock.isLocked()).toBe(true);
    expect(await second.call('lock:status')).toMatchObject({ ok: true, value: { locked: true } });
    second.ws.close();
  });
});
