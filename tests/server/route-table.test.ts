/**
 * The HTTP contract as a table: every /api route declares who may call it, what it takes and
 * what it answers; the server registers exactly those routes, each behind its gate.
 */
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { keyRoutes } from '../../src-shared/account-keys-api';
import {
  AUTH_KINDS,
  keyHttpRoutes,
  noContent,
  route,
  routes,
  type BodyInput,
  type RouteDef,
  type RouteName,
  type Routes,
} from '../../src-shared/http-api';
import type { AuthGate } from '../../src-server/http/auth';
import { installErrorHandler } from '../../src-server/http/errors';
import { installReplyCheck, registerRoutes } from '../../src-server/http/register-routes';
import { ServiceError } from '../../src-server/services/service-error';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { PanelClient, bearer } from './helpers';

const table = Object.entries(routes) as Array<[RouteName, RouteDef]>;
const AUTH = 'A'.repeat(43);
const KDF = { alg: 'argon2id', v: 0x13, m: 65536, t: 3, p: 1, salt: 'A'.repeat(22) } as const;
const SEALED = `v1.${'A'.repeat(60)}`;
const COMPUTER = 'c'.repeat(32);
const passwordWrap = { kind: 'password', generation: 2, kdf: KDF, sealed: SEALED } as const;
const recovery = { proof: AUTH, wrap: { kind: 'recovery', generation: 2, sealed: SEALED } } as const;

/** A valid body for each route that takes one, so a refusal can only come from the gate. */
const samples: { [K in RouteName]?: BodyInput<Routes[K]> } = {
  signup: { username: 'someone', kdf: KDF, authKey: AUTH },
  panelSignIn: { username: 'someone', authKey: AUTH },
  deviceSignIn: { username: 'someone', authKey: AUTH, deviceName: 'Laptop', computerId: COMPUTER },
  totpBegin: {},
  totpConfirm: { code: '123456' },
  totpDisable: { authKey: AUTH, code: '123456' },
  regenerateRecoveryCodes: { code: '123456' },
  registerDevice: { deviceName: 'Laptop' },
  renameDevice: { name: 'Laptop' },
  storageRestore: {},
  storagePurge: { authKey: AUTH, code: '123456' },
  storageRemoveFile: { type: 'keys', name: 'a'.repeat(64), code: '123456' },
  storageDeleteRepository: { authKey: AUTH, code: '123456' },
  storageRequestPurge: { authKey: AUTH },
  signInParams: { username: 'someone' },
  forgotPasswordBegin: { username: 'someone', recoveryProof: AUTH, totp: '123456' },
  forgotPasswordFinish: {
    ticket: 'A'.repeat(43),
    generation: 1,
    kdf: KDF,
    authKey: AUTH,
    passwordWrap,
    recovery,
  },
  reauthenticate: { authKey: AUTH, totp: '123456' },
  replaceTemporaryPassword: { generation: 1, kdf: KDF, authKey: AUTH },
  changePassword: {
    currentAuthKey: AUTH,
    totp: '123456',
    generation: 1,
    kdf: KDF,
    authKey: AUTH,
    passwordWrap,
  },
  createAccountKeys: { generation: 1, keyId: 'a'.repeat(32), passwordWrap, recovery },
  replaceAccountKeys: {
    authKey: AUTH,
    totp: '123456',
    generation: 1,
    keyId: 'a'.repeat(32),
    passwordWrap,
    recovery,
  },
  rewrapPassword: { generation: 1, passwordWrap },
  newRecoveryKey: { authKey: AUTH, generation: 1, recovery },
  putDeviceWrap: {
    generation: 1,
    wrap: { kind: 'device', computerId: COMPUTER, generation: 2, sealed: SEALED },
  },
  putDirectoryRow: { version: 1, sealed: SEALED },
  deleteDirectoryRow: { version: 2 },
  putProfile: { version: 1, sealed: SEALED },
  deleteProfile: { version: 2 },
  createStorageToken: { name: 'restic', code: '123456' },
  reportJob: {
    item: 'Documents',
    kind: 'backup',
    status: 'succeeded',
    startedAt: '2026-01-01T12:00:00.000Z',
    durationMs: 1,
    filesProcessed: 1,
    filesNew: 0,
    filesChanged: 0,
    errors: 0,
    bytesProcessed: 1,
    bytesAdded: 0,
  },
};
const samplePath = (path: string) =>
  path
    .replace(':id', 'AAAAAAAAAAAA')
    .replace(':name', 'main')
    .replace(':computerId', COMPUTER)
    .replace(':vaultId', '84bd0e19-abc1-42bf-b142-40b1178f1dc0');

describe('the route table', () => {
  it.each(table)('%s declares its auth kind, its input and its reply', (name, def) => {
    expect(AUTH_KINDS).toContain(def.auth.kind);
    expect(def.path).toMatch(/^\/api\//);
    // Every path parameter has a schema naming exactly those parameters.
    const names = [...def.path.matchAll(/:([a-z]+)/gi)].map((m) => m[1]);
    if (names.length > 0) {
      expect(def.params).toBeInstanceOf(z.ZodObject);
      expect(Object.keys((def.params as z.ZodObject).shape).sort()).toEqual(names.sort());
    } else expect(def.params).toBeUndefined();
    // A POST or PUT takes a body, a DELETE may (a row's version), a GET never does.
    if (def.method === 'POST' || def.method === 'PUT') expect(def.body).toBeInstanceOf(z.ZodType);
    if (def.method === 'GET') expect(def.body).toBeUndefined();
    if (def.body) expect(def.body.safeParse(samples[name]).success).toBe(true);
    expect(def.reply).toBeInstanceOf(z.ZodType);
    if (def.status === 204) expect(def.reply).toBe(noContent);
  });

  it('gives the second factor fields to every route whose gate asks for them', () => {
    const asking = table.filter(([, def]) => def.auth.kind === 'fresh' && 'secondFactor' in def.auth);
    expect(asking.map(([name]) => name).sort()).toEqual(['createStorageToken', 'storageRemoveFile']);
    for (const [, def] of asking) {
      expect(Object.keys((def.body as z.ZodObject).shape)).toEqual(
        expect.arrayContaining(['code', 'recoveryCode']),
      );
    }
  });

  it('says of each key route what src-shared/account-keys-api.ts says (the desktop calls those)', () => {
    expect(Object.keys(keyHttpRoutes).sort()).toEqual(Object.keys(keyRoutes).sort());
    for (const [name, key] of Object.entries(keyRoutes)) {
      const def = keyHttpRoutes[name as keyof typeof keyHttpRoutes] as RouteDef;
      const auth = def.auth as {
        kind: string;
        temporaryOk?: true;
        bearerOnly?: true;
        duringEnrolment?: true;
      };
      expect({ name, method: def.method, path: def.path, kind: auth.kind }).toEqual({
        name,
        method: key.method,
        path: key.path,
        kind: key.auth,
      });
      const k = key as { temporaryOk?: boolean; bearerOnly?: boolean; duringEnrolment?: boolean };
      expect([
        name,
        auth.temporaryOk === true,
        auth.bearerOnly === true,
        auth.duringEnrolment === true,
      ]).toEqual([name, k.temporaryOk === true, k.bearerOnly === true, k.duringEnrolment === true]);
      const k2 = key as { input?: z.ZodType; params?: z.ZodType; reply: z.ZodType | null };
      expect(def.body).toBe(k2.input);
      expect(def.params).toBe(k2.params);
      expect(def.reply).toBe(k2.reply ?? noContent);
    }
  });

  it('opens only sign-out, the account and its session, and the password replacement to a temporary password', () => {
    const open = table.filter(([, def]) => 'temporaryOk' in def.auth).map(([name]) => name);
    expect(open.sort()).toEqual(['account', 'currentSession', 'replaceTemporaryPassword', 'signOut']);
  });

  it('keeps the keys, the directory and every write of a row from the panel (bearer only)', () => {
    const keyWrites = [
      'changePassword',
      'createAccountKeys',
      'replaceAccountKeys',
      'rewrapPassword',
      'newRecoveryKey',
      'putDeviceWrap',
      'deleteDeviceWrap',
    ];
    const rowWrites = ['putDirectoryRow', 'deleteDirectoryRow', 'putProfile', 'deleteProfile'];
    const bearerOnly = table.filter(([, def]) => 'bearerOnly' in def.auth).map(([name]) => name);
    const keyReads = ['accountKeys', 'archivedAccountKeys', 'directory'] as const;
    expect(bearerOnly.sort()).toEqual([...keyReads, ...keyWrites, ...rowWrites].sort());
    for (const name of rowWrites) expect(routes[name as RouteName].auth.kind).toBe('full');
    for (const name of keyReads) expect(routes[name].auth.kind).toBe('fresh');
  });

  it('has one route per method and path', () => {
    const keys = table.map(([, def]) => `${def.method} ${def.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('the server', () => {
  let server: TestAccountServer;
  beforeAll(async () => {
    server = await startTestAccountServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('registers every /api route of the table, and no other', () => {
    const registered = server.server.registeredRoutes
      // Fastify adds a HEAD twin to each GET route; it shares the GET's options and gate.
      .filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD')
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    expect(registered).toEqual(table.map(([, def]) => `${def.method} ${def.path}`).sort());
  });

  it('refuses every non-public route without credentials, and with the wrong kind of token', async () => {
    await server.createUser('gatekeeper', 'correct horse battery');
    const { services } = server.server;
    const account = services.accounts.byUsername('gatekeeper')!;
    const device = services.sessions.createDevice(account.id, 'Laptop');
    const storageToken = services.sessions.createStorageToken(account.id, 'restic', null);
    const session = services.sessions.create(account.id, 'bearer', null, true);
    for (const [name, def] of table) {
      if (def.auth.kind === 'public') continue;
      const path = samplePath(def.path);
      const body = samples[name];
      const anonymous = await new PanelClient(server.url).request(def.method, path, body);
      expect([name, anonymous.status, anonymous.body.error]).toEqual([name, 401, 'not_signed_in']);
      const wrongScope = def.auth.kind === 'device' ? session.token : device.token;
      const refused = await bearer(server.url, def.method, path, wrongScope, body);
      expect([name, refused.status, refused.body.error]).toEqual([name, 403, 'forbidden_scope']);
      // A storage token reaches the storage only: no /api route at all.
      const storage = await bearer(server.url, def.method, path, storageToken.token, body);
      expect([name, storage.status, storage.body.error]).toEqual([name, 403, 'forbidden_scope']);
    }
  });
});

describe('registering from a table', () => {
  const table = {
    guarded: route({
      method: 'POST',
      path: '/api/guarded/:id',
      auth: { kind: 'session' },
      params: z.object({ id: z.string() }).strict(),
      body: z.object({ name: z.string().trim() }).strict(),
      reply: z.strictObject({ greeting: z.string() }),
    }),
  };

  async function app(check: AuthGate['check'], reply: unknown = { greeting: 'hello' }) {
    const fastify = Fastify();
    installErrorHandler(fastify);
    const problems: string[] = [];
    installReplyCheck(fastify, table, problems);
    const handler = vi.fn(() => reply as { greeting: string });
    await registerRoutes(fastify, table, { guarded: handler }, { check } as AuthGate);
    return { fastify, handler, problems };
  }

  it('runs the gate before the handler, which never runs when the gate refuses', async () => {
    const { fastify, handler } = await app(() => {
      throw new ServiceError('not_signed_in', 'Please sign in.');
    });
    const answer = await fastify.inject({ method: 'POST', url: '/api/guarded/7', payload: { name: 'x' } });
    expect(answer.statusCode).toBe(401);
    expect(handler).not.toHaveBeenCalled();
  });

  it('hands the handler the parsed input and the gate’s answer', async () => {
    const who = { account: { id: 1 } };
    const { fastify, handler } = await app(() => who as never);
    const answer = await fastify.inject({
      method: 'POST',
      url: '/api/guarded/7',
      payload: { name: ' ada ' },
    });
    expect(answer.json()).toEqual({ greeting: 'hello' });
    expect(handler).toHaveBeenCalledWith(
      expect.objectContaining({ body: { name: 'ada' }, params: { id: '7' }, auth: who }),
    );
  });

  it('refuses invalid input before the handler', async () => {
    const { fastify, handler } = await app(() => null);
    const answer = await fastify.inject({ method: 'POST', url: '/api/guarded/7', payload: { name: 1 } });
    expect([answer.statusCode, answer.json().error]).toEqual([400, 'bad_request']);
    expect(handler).not.toHaveBeenCalled();
  });

  it('catches a reply that does not match its schema (the check every server test runs)', async () => {
    const { fastify, problems } = await app(() => null, { greeting: 'hello', passwordHash: 'oops' });
    const answer = await fastify.inject({ method: 'POST', url: '/api/guarded/7', payload: { name: 'x' } });
    expect(answer.statusCode).toBe(500);
    expect(problems).toEqual([expect.stringContaining("guarded's reply does not match its schema")]);
  });
});
