import { describe, expect, it } from 'vitest';
import { CSRF_HEADER } from '../../src-shared/http-api';
import type { Problem } from '../../src-renderer/components/action-result';
import { PanelApiClient, problemFromApiError } from '../../src-renderer/panel/api-client';
import { createPanelStore } from '../../src-renderer/panel/panel-store';

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  credentials: RequestCredentials | undefined;
}

/** A fetch that answers from a script and records what the client sent. */
function scriptedFetch(answers: Array<() => Response>) {
  const seen: Seen[] = [];
  const impl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    seen.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: init?.body as string | undefined,
      credentials: init?.credentials,
    });
    const next = answers.shift();
    if (!next) throw new Error('no scripted answer left');
    return next();
  }) as typeof fetch;
  return { impl, seen };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });

const session = {
  account: {
    username: 'alice',
    totpEnabled: false,
    mustEnrollTotp: false,
    recoveryCodesRemaining: 0,
    createdAt: '2026-01-01T00:00:00Z',
  },
  csrfToken: 'csrf-from-session',
  expiresAt: '2026-01-01T00:30:00Z',
};

describe('PanelApiClient', () => {
  it('sends the CSRF token from the session answer on state-changing requests, not on reads', async () => {
    const { impl, seen } = scriptedFetch([
      json(200, session),
      json(200, session.account),
      json(200, { otpauthUri: 'otpauth://x', qrPngDataUrl: 'data:', secretBase32: 'AAAA', expiresAt: 'x' }),
      () => new Response(null, { status: 204 }),
    ]);
    const client = new PanelApiClient({ fetch: impl });
    expect((await client.signIn({ username: 'alice', authKey: 'A'.repeat(43) })).ok).toBe(true);
    await client.account();
    await client.totpBegin();
    const out = await client.signOut();
    expect(out).toEqual({ ok: true, value: null });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST /api/session',
      'GET /api/account',
      'POST /api/account/totp/begin',
      'DELETE /api/session',
    ]);
    expect(seen.every((s) => s.credentials === 'same-origin')).toBe(true);
    expect(seen[1]?.headers[CSRF_HEADER]).toBeUndefined();
    expect(seen[2]?.headers[CSRF_HEADER]).toBe('csrf-from-session');
    expect(seen[3]?.headers[CSRF_HEADER]).toBe('csrf-from-session');
  });

  it('fills the device id into the revoke path, escaped', async () => {
    const { impl, seen } = scriptedFetch([() => new Response(null, { status: 204 })]);
    await new PanelApiClient({ fetch: impl }).revokeDevice('abc/def');
    expect(seen[0]?.url).toBe('/api/account/devices/abc%2Fdef');
    expect(seen[0]?.method).toBe('DELETE');
  });

  it('reports a lost session to its listener on signed-in calls, and forgets the CSRF token', async () => {
    const { impl, seen } = scriptedFetch([
      json(200, session),
      json(401, { error: 'session_expired', message: 'Session expired.' }),
      json(403, { error: 'csrf', message: 'CSRF.' }),
    ]);
    const client = new PanelApiClient({ fetch: impl });
    const lost: Problem[] = [];
    client.onSessionLost((p) => lost.push(p));
    await client.signIn({ username: 'alice', authKey: 'A'.repeat(43) });
    const r = await client.devices();
    expect(r.ok).toBe(false);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.message).toBe('Your session has expired. Sign in again.');
    await client.totpBegin();
    expect(seen[2]?.headers[CSRF_HEADER]).toBeUndefined();
  });

  it('does not call a failed sign-in a lost session', async () => {
    const { impl } = scriptedFetch([json(401, { error: 'invalid_credentials', message: 'x' })]);
    const client = new PanelApiClient({ fetch: impl });
    let lost = 0;
    client.onSessionLost(() => lost++);
    const r = await client.signIn({ username: 'alice', authKey: 'B'.repeat(43) });
    expect(r).toEqual({
      ok: false,
      error: { code: 'invalid_credentials', message: 'The username or password is not right.' },
    });
    expect(lost).toBe(0);
  });

  it('turns a dropped connection into an unreachable Problem instead of throwing', async () => {
    const client = new PanelApiClient({
      fetch: (async () => {
        throw new TypeError('Failed to fetch');
      }) as typeof fetch,
    });
    const r = await client.serverInfo();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('unreachable');
  });

  it('keeps retryAfterSeconds of a throttled answer, from the body or from Retry-After', async () => {
    const { impl } = scriptedFetch([
      json(429, { error: 'throttled', message: 'Slow down', retryAfterSeconds: 42 }, { 'retry-after': '42' }),
      () => new Response('<html>proxy says no</html>', { status: 429, headers: { 'retry-after': '7' } }),
    ]);
    const client = new PanelApiClient({ fetch: impl });
    const a = await client.signIn({ username: 'alice', authKey: 'A'.repeat(43) });
    const b = await client.signIn({ username: 'alice', authKey: 'A'.repeat(43) });
    expect(a.ok || a.error).toMatchObject({ code: 'throttled', retryAfterSeconds: 42 });
    expect(b.ok || b.error).toMatchObject({ code: 'throttled', retryAfterSeconds: 7 });
  });
});

describe('problemFromApiError', () => {
  it('words each error a person can act on', () => {
    expect(problemFromApiError(400, { error: 'wrong_code', message: 'wrong' }).message).toMatch(
      /not right.*next code/,
    );
    expect(problemFromApiError(410, { error: 'enrolment_expired', message: 'x' }).message).toMatch(
      /expired.*Start again/,
    );
    expect(problemFromApiError(401, { error: 'not_signed_in', message: 'x' }).message).toBe(
      'Your session has expired. Sign in again.',
    );
  });
  it('keeps the server message for bad input, which names the field', () => {
    expect(
      problemFromApiError(400, { error: 'bad_request', message: 'Password: at least 8 characters.' }).message,
    ).toBe('Password: at least 8 characters.');
  });
  it('copes with a body that is not an ApiError', () => {
    expect(problemFromApiError(502, null)).toEqual({
      code: 'internal',
      message: 'The server ran into a problem. Try again in a moment.',
    });
  });
});

describe('the panel store', () => {
  const info = { name: 'Strongroom', version: '1', signup: true, requireTotp: false };

  it('says the session expired when the page opens on an expired session', async () => {
    const { impl } = scriptedFetch([
      json(200, info),
      json(401, { error: 'session_expired', message: 'Your session has expired. Please sign in again.' }),
    ]);
    const store = createPanelStore(new PanelApiClient({ fetch: impl }));
    await store.getState().load();
    expect(store.getState().status).toBe('signed-out');
    expect(store.getState().notice).toEqual({
      kind: 'error',
      text: 'Your session has expired. Sign in again.',
    });
  });

  it('opens on the plain sign-in page when there was no session', async () => {
    const { impl } = scriptedFetch([
      json(200, info),
      json(401, { error: 'not_signed_in', message: 'Please sign in.' }),
    ]);
    const store = createPanelStore(new PanelApiClient({ fetch: impl }));
    await store.getState().load();
    expect(store.getState().status).toBe('signed-out');
    expect(store.getState().notice).toBeNull();
  });
});
