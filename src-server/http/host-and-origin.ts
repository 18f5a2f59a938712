/**
 * Host and Origin checks, against DNS rebinding and cross-site requests.
 *
 * A web page can make its own host name resolve to 127.0.0.1 (DNS rebinding) and then talk to
 * the desktop app's embedded server as if it were same-origin: the browser sends the page's
 * name in Host. So the server answers only to the names it is configured for: the loopback
 * names with its own port (always), the host of --public-url, the names in its TLS certificate,
 * and the address it listens on when that is a specific one. Behind a trusted proxy, the host the
 * client used is X-Forwarded-Host when the proxy sets it (request.host), else Host.
 *
 * A state-changing request (POST, PUT, PATCH, DELETE) whose Origin is another site, or "null", or
 * whose Sec-Fetch-Site says cross-site or same-site, is refused: browsers send these on every
 * cross-origin request; clients that are not browsers (the desktop app's Node fetch, restic,
 * curl) send neither, and go on to their own authentication.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ServiceError } from '../services/service-error';

export interface HostPolicyOptions {
  protocol: 'http' | 'https';
  /** The address the server listens on (a specific address is a name it answers to). */
  listenHost: string;
  /** The server's port, known once it listens (port 0 picks one). */
  port: () => number;
  /** The address people use, e.g. https://backup.example.com (behind a proxy, or a TLS name). */
  publicUrl?: string | undefined;
  /** PEM certificate: its DNS and IP subject alternative names are names it answers to. */
  tlsCert?: string | Buffer | undefined;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const DEFAULT_PORT: Record<string, number> = { 'http:': 80, 'https:': 443 };

/** Parses and checks --public-url: an http(s) origin, no path, query or credentials. */
export function parsePublicUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`--public-url: not a URL: ${value}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error('--public-url must start with https:// (or http://).');
  }
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new Error('--public-url is the address of the server alone, e.g. https://backup.example.com');
  }
  return url;
}

/** The host names (with port) the server answers to; `allows` takes a Host header or an origin's host. */
export class HostPolicy {
  private names: Set<string> | null = null;
  private wildcards: Array<{ suffix: string; port: number }> = [];

  constructor(private readonly o: HostPolicyOptions) {}

  allows(host: string): boolean {
    const names = this.build();
    const h = host.toLowerCase();
    if (names.has(h)) return true;
    const { name, port } = splitHost(h, DEFAULT_PORT[`${this.o.protocol}:`]!);
    return this.wildcards.some(
      (w) => w.port === port && name.endsWith(w.suffix) && !name.slice(0, -w.suffix.length).includes('.'),
    );
  }

  /** Built at the first request: the port is only known once the server listens. */
  private build(): Set<string> {
    if (this.names) return this.names;
    const names = new Set<string>();
    const port = this.o.port();
    const add = (name: string, p: number, protocol: string) => {
      const host = (isIP(name) === 6 ? `[${name}]` : name).toLowerCase();
      names.add(`${host}:${p}`);
      // A Host header (or an origin) leaves out the scheme's default port.
      if (p === DEFAULT_PORT[protocol]) names.add(host);
    };
    const own = `${this.o.protocol}:`;
    for (const name of LOOPBACK_NAMES) add(name.replace(/^\[|\]$/g, ''), port, own);
    const listen = this.o.listenHost.replace(/^\[|\]$/g, '');
    if (isIP(listen) && listen !== '0.0.0.0' && listen !== '::') add(listen, port, own);
    if (this.o.publicUrl) {
      const url = parsePublicUrl(this.o.publicUrl);
      add(
        url.hostname.replace(/^\[|\]$/g, ''),
        Number(url.port) || DEFAULT_PORT[url.protocol]!,
        url.protocol,
      );
    }
    if (this.o.tlsCert) {
      for (const san of (new X509Certificate(this.o.tlsCert).subjectAltName ?? '').split(/,\s*/)) {
        const [kind, value] = [san.slice(0, san.indexOf(':')), san.slice(san.indexOf(':') + 1)];
        if (kind === 'DNS' && value.startsWith('*.'))
          this.wildcards.push({ suffix: value.slice(1).toLowerCase(), port });
        else if (kind === 'DNS' || kind === 'IP Address') add(value, port, own);
      }
    }
    this.names = names;
    return names;
  }
}

function splitHost(host: string, defaultPort: number): { name: string; port: number } {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host);
  return { name: match?.[1] ?? host, port: match?.[2] ? Number(match[2]) : defaultPort };
}

export function installHostAndOriginCheck(app: FastifyInstance, policy: HostPolicy): void {
  app.addHook('onRequest', async (request) => {
    checkHost(request, policy);
    if (STATE_CHANGING.has(request.method)) checkOrigin(request, policy);
  });
}

function checkHost(request: FastifyRequest, policy: HostPolicy): void {
  const host = request.host;
  if (typeof host !== 'string' || host === '') {
    throw new ServiceError('bad_request', 'The request has no Host header.');
  }
  if (!policy.allows(host)) {
    throw new ServiceError(
      'unknown_host',
      'This server does not answer to that host name. If it is the address people use, start the server with --public-url naming it.',
    );
  }
}

function checkOrigin(request: FastifyRequest, policy: HostPolicy): void {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') refuseCrossSite();
  const origin = request.headers.origin;
  if (origin === undefined) return;
  let url: URL | null = null;
  try {
    url = new URL(origin);
  } catch {
    // "null" (sandboxed frames, file: pages) and anything malformed
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) refuseCrossSite();
  const host = url.host;
  if (!policy.allows(host)) refuseCrossSite();
}

function refuseCrossSite(): never {
  throw new ServiceError('csrf', 'This request came from another site, so it was refused.');
}
