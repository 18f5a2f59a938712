/**
 * Requests Node's HTTP parser refuses before Fastify sees them still get the security headers and
 * the contract's error shape (raw sockets: no HTTP client would send these).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';

let server: TestAccountServer;
beforeAll(async () => {
  server = await startTestAccountServer();
});
afterAll(async () => {
  await server.close();
});

/** Writes raw bytes and reads until the server closes the connection. */
function exchange(text: string): Promise<{ status: number; headers: Map<string, string>; body: string }> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(text));
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = new Map(
        lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
  });
}

describe('errors from the HTTP parser', () => {
  const host = () => new URL(server.url).host;
  const cases: Array<[string, () => string, number]> = [
    ['an unknown method', () => `FROB /api/server-info HTTP/1.1\r\nHost: ${host()}\r\n\r\n`, 400],
    [
      'headers over the size limit',
      () => `GET /api/server-info HTTP/1.1\r\nHost: ${host()}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
    ],
    [
      'both Content-Length and chunked',
      () =>
        `POST /api/session HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      400,
    ],
    ['HTTP/1.1 without Host', () => 'GET /api/server-info HTTP/1.1\r\n\r\n', 400],
    ['a request line that is not HTTP', () => 'hello there\r\n\r\n', 400],
  ];
  for (const [name, request, status] of cases) {
    it(`answers ${name} with ${status}, the security headers and the error shape`, async () => {
      const answer = await exchange(request());
      expect(answer.status).toBe(status);
      expect(answer.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('x-frame-options')).toBe('DENY');
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      const body = JSON.parse(answer.body) as { error: string; message: string };
      expect(body.error).toBe('bad_request');
      expect(body.message.length).toBeGreaterThan(10);
      expect(Object.keys(body).sort()).toEqual(['error', 'message']);
    });
  }
});
