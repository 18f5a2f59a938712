/**
 * The panel's own bundle derives keys as Node does: the known-answer vectors (Argon2id, HKDF)
 * computed by its Web Worker in Chromium, under the server's production headers (CSP with
 * 'wasm-unsafe-eval' and nothing looser), give the same bytes, and so does a sign-in's auth key.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { passwordKeys, toBase64url } from '../../../src-shared/account-crypto';
import { ARGON2ID_VECTORS, HKDF_RFC5869_CASE3 } from '../../shared/account-crypto-vectors';
import { testKdf } from '../../support/derived-keys';
import { startServerProcess, type ServerProcess } from './server-process';

let server: ServerProcess;
test.beforeAll(async () => {
  server = await startServerProcess();
});
test.afterAll(async () => {
  await server?.stop();
});

/** The worker as Vite built it (the name carries a content hash). */
function workerAsset(): string {
  const assets = resolve(import.meta.dirname, '../../../dist/renderer/assets');
  const name = readdirSync(assets).find((f) => /^key-derivation-worker-.*\.js$/.test(f));
  if (!name) throw new Error(`no key-derivation worker in ${assets}: run npm run build:renderer`);
  return join('/assets', name);
}

test('the panel’s worker gives the known answers and the same auth key as Node', async ({ page }) => {
  test.setTimeout(120_000);
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  page.on('pageerror', (e) => violations.push(e.message));
  const response = await page.goto(server.url);
  const csp = response!.headers()['content-security-policy']!;
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).not.toContain("'unsafe-eval'");
  expect(csp).not.toContain("'unsafe-inline'");
  expect(csp).not.toMatch(/worker-src|child-src/); // workers fall back to script-src

  const kdf = testKdf('correct horse battery');
  const answers = await page.evaluate(
    async ({ url, vectors, hkdfCase, kdf }) => {
      const ask = (request: unknown) =>
        new Promise<{ ok: boolean; hex?: string; authKey?: string; message?: string }>((done) => {
          const worker = new Worker(url, { type: 'module' });
          worker.onmessage = (e) => {
            done(e.data);
            worker.terminate();
          };
          worker.onerror = (e) => done({ ok: false, message: String(e.message) });
          worker.postMessage(request);
        });
      const argon = [];
      for (const v of vectors) {
        argon.push(await ask({ kind: 'argon2id', password: v.password, salt: v.salt, m: v.m, t: v.t }));
      }
      const hkdf = await ask({
        kind: 'hkdf',
        ikmHex: hkdfCase.ikmHex,
        info: hkdfCase.info,
        length: hkdfCase.length,
      });
      const signIn = await ask({ kind: 'sign-in', password: 'correct horse battery', kdf, legacy: null });
      return { argon, hkdf, signIn };
    },
    { url: workerAsset(), vectors: ARGON2ID_VECTORS, hkdfCase: HKDF_RFC5869_CASE3, kdf },
  );
  expect(answers.argon.map((a) => a.hex)).toEqual(ARGON2ID_VECTORS.map((v) => v.hex));
  expect(answers.hkdf.hex).toBe(HKDF_RFC5869_CASE3.okmHex);
  const node = await passwordKeys('correct horse battery', kdf);
  expect(answers.signIn).toEqual({ ok: true, authKey: toBase64url(node.authKey), legacyProof: null });
  expect(violations).toEqual([]);
});
