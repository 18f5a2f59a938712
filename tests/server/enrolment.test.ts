import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestAccountServer, totpCode, type TestAccountServer } from '../support/account-server';
import { derivedKeys, testKdf } from '../support/derived-keys';
import { ManualClock, PanelClient } from './helpers';

const PASSWORD = 'correct horse battery';
/** The auth key a client derives from `password` with alice's parameters. */
const keyOf = async (password: string) => (await derivedKeys(password, testKdf(PASSWORD))).authKey;
let server: TestAccountServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function signedIn() {
  const clock = new ManualClock();
  server = await startTestAccountServer({ clock });
  await server.createUser('alice', PASSWORD);
  const client = new PanelClient(server.url);
  expect((await client.signIn('alice', PASSWORD)).status).toBe(200);
  return { clock, client, server };
}

function decodeQr(dataUrl: string): string | null {
  const png = PNG.sync.read(Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64'));
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? null;
}

describe('TOTP enrolment', () => {
  it('begins with an otpauth URI, a QR image of it and a 160-bit base32 key', async () => {
    const { client, clock } = await signedIn();
    const begin = await client.request('POST', '/api/account/totp/begin', {});
    expect(begin.status).toBe(200);
    const uri = new URL(begin.body.otpauthUri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Strongroom:alice');
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({
      issuer: 'Strongroom',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
      secret: begin.body.secretBase32,
    });
    expect(begin.body.secretBase32).toMatch(/^[A-Z2-7]{32}$/); // 32 base32 characters = 160 bits
    expect(begin.body.qrPngDataUrl.startsWith('data:image/png;base64,')).toBe(true);
    expect(decodeQr(begin.body.qrPngDataUrl)).toBe(begin.body.otpauthUri);
    expect(Date.parse(begin.body.expiresAt)).toBe(clock.now() + 10 * 60 * 1000);
  });

  it('changes nothing until confirmed', async () => {
    const { client } = await signedIn();
    await client.request('POST', '/api/account/totp/begin');
    expect((await client.request('GET', '/api/account')).body.totpEnabled).toBe(false);
    expect((await new PanelClient(server!.url).signIn('alice', PASSWORD)).status).toBe(200);
  });

  it('turns TOTP on with a current code and shows ten recovery codes once', async () => {
    const { client, clock } = await signedIn();
    const begin = await client.request('POST', '/api/account/totp/begin', {});
    const confirm = await client.request('POST', '/api/account/totp/confirm', {
      code: totpCode(begin.body.secretBase32, clock.now()),
    });
    expect(confirm.status).toBe(200);
    expect(confirm.body.recoveryCodes).toHaveLength(10);
    expect((await client.request('GET', '/api/account')).body).toMatchObject({
      totpEnabled: true,
      recoveryCodesRemaining: 10,
    });
    expect((await client.request('POST', '/api/account/totp/begin', {})).body.error).toBe(
      'totp_already_enabled',
    );
    const fresh = new PanelClient(server!.url);
    expect((await fresh.signIn('alice', PASSWORD)).body.error).toBe('totp_required');
    clock.advance(30_000);
    const signIn = await fresh.signIn('alice', PASSWORD, {
      totp: totpCode(begin.body.secretBase32, clock.now()),
    });
    expect(signIn.status).toBe(200);
  });

  it('refuses a wrong code and keeps the enrolment pending', async () => {
    const { client, clock } = await signedIn();
    const begin = await client.request('POST', '/api/account/totp/begin', {});
    const good = totpCode(begin.body.secretBase32, clock.now());
    const wrong = await client.request('POST', '/api/account/totp/confirm', {
      code: good === '123456' ? '654321' : '123456',
    });
    expect([wrong.status, wrong.body.error]).toEqual([400, 'wrong_code']);
    expect((await client.request('POST', '/api/account/totp/confirm', { code: good })).status).toBe(200);
  });

  it('refuses an enrolment older than ten minutes', async () => {
    const { client, clock } = await signedIn();
    const begin = await client.request('POST', '/api/account/totp/begin', {});
    clock.advance(10 * 60 * 1000);
    // Keep the session alive: 10 minutes is within the 30-minute idle limit.
    const late = await client.request('POST', '/api/account/totp/confirm', {
      code: totpCode(begin.body.secretBase32, clock.now()),
    });
    expect([late.status, late.body.error]).toEqual([410, 'enrolment_expired']);
    expect((await client.request('GET', '/api/account')).body.totpEnabled).toBe(false);
    const again = await client.request('POST', '/api/account/totp/confirm', { code: '123456' });
    expect(again.body.error).toBe('no_pending_enrolment');
  });

  it('refuses a confirmation without a pending enrolment', async () => {
    const { client } = await signedIn();
    const answer = await client.request('POST', '/api/account/totp/confirm', { code: '123456' });
    expect([answer.status, answer.body.error]).toEqual([409, 'no_pending_enrolment']);
  });

  it('keeps the secret encrypted at rest and the key file private', async () => {
    const { client, clock } = await signedIn();
    const begin = await client.request('POST', '/api/account/totp/begin', {});
    await client.request('POST', '/api/account/totp/confirm', {
      code: totpCode(begin.body.secretBase32, clock.now()),
    });
    const db = server!.server.services.db;
    const row = db.prepare('SELECT totp_secret_enc FROM accounts WHERE username = ?').get('alice') as {
      totp_secret_enc: string;
    };
    expect(row.totp_secret_enc.startsWith('v1:')).toBe(true);
    // WAL mode: recent writes sit in the -wal file, so look at both.
    const file = Buffer.concat(
      ['strongroom.sqlite', 'strongroom.sqlite-wal']
        .map((name) => join(server!.dataDir, name))
        .filter((f) => existsSync(f))
        .map((f) => readFileSync(f)),
    );
    const secretBytes = Buffer.from(
      (await import('../support/account-server')).base32Decode(begin.body.secretBase32),
    );
    expect(file.includes(secretBytes)).toBe(false);
    expect(file.includes(Buffer.from(begin.body.secretBase32))).toBe(false);
    if (process.platform !== 'win32') {
      expect(statSync(join(server!.dataDir, 'server.key')).mode & 0o777).toBe(0o600);
    }
  });
});

describe('turning TOTP off and recovery codes', () => {
  async function withTotp() {
    const { client, clock } = await signedIn();
    const begin = await client.request('POST', '/api/account/totp/begin', {});
    const confirm = await client.request('POST', '/api/account/totp/confirm', {
      code: totpCode(begin.body.secretBase32, clock.now()),
    });
    clock.advance(30_000);
    return {
      client,
      clock,
      secret: begin.body.secretBase32 as string,
      codes: confirm.body.recoveryCodes as string[],
    };
  }

  it('needs the password and a current code', async () => {
    const { client, clock, secret } = await withTotp();
    const authKey = await keyOf(PASSWORD);
    const noCode = await client.request('POST', '/api/account/totp/disable', { authKey });
    expect([noCode.status, noCode.body.error]).toEqual([400, 'bad_request']);
    const badPassword = await client.request('POST', '/api/account/totp/disable', {
      authKey: await keyOf('wrong password'),
      code: totpCode(secret, clock.now()),
    });
    expect(badPassword.body.error).toBe('invalid_credentials');
    const ok = await client.request('POST', '/api/account/totp/disable', {
      authKey,
      code: totpCode(secret, clock.now()),
    });
    expect(ok.status).toBe(204);
    expect((await client.request('GET', '/api/account')).body.totpEnabled).toBe(false);
    expect((await new PanelClient(server!.url).signIn('alice', PASSWORD)).status).toBe(200);
    const audit = await client.request('GET', '/api/account/audit');
    expect(audit.body.events.map((e: { kind: string }) => e.kind)).toContain('totp_disabled');
  });

  it('can use a recovery code instead of the code, once', async () => {
    const { client, codes } = await withTotp();
    const ok = await client.request('POST', '/api/account/totp/disable', {
      authKey: await keyOf(PASSWORD),
      recoveryCode: codes[3],
    });
    expect(ok.status).toBe(204);
    const kinds = (await client.request('GET', '/api/account/audit')).body.events.map(
      (e: { kind: string }) => e.kind,
    );
    expect(kinds.slice(0, 2)).toEqual(['totp_disabled', 'recovery_code_used']);
  });

  it('regenerates recovery codes with a current code; the old ones stop working', async () => {
    const { client, clock, secret, codes } = await withTotp();
    const fresh = await client.request('POST', '/api/account/recovery-codes', {
      code: totpCode(secret, clock.now()),
    });
    expect(fresh.status).toBe(200);
    expect(fresh.body.recoveryCodes).toHaveLength(10);
    expect(
      (await new PanelClient(server!.url).signIn('alice', PASSWORD, { recoveryCode: codes[0]! })).status,
    ).toBe(401);
    const used = await new PanelClient(server!.url).signIn('alice', PASSWORD, {
      recoveryCode: fresh.body.recoveryCodes[0],
    });
    expect(used.status).toBe(200);
    expect(used.body.account.recoveryCodesRemaining).toBe(9);
  });

  it('the administrator can turn TOTP off for a user who lost the phone', async () => {
    await withTotp();
    server!.server.services.totpEnrolment.adminDisable('alice');
    expect((await new PanelClient(server!.url).signIn('alice', PASSWORD)).status).toBe(200);
  });
});
