import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * No inline script or style anywhere; images may be data: URLs (the TOTP QR code). WebAssembly
 * may be compiled ('wasm-unsafe-eval', not 'unsafe-eval'): the panel's Web Worker runs Argon2id in
 * it. Workers fall back to script-src (no worker-src): same-origin scripts only.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The headers every answer carries (also written by hand on parser errors, see errors.ts). */
export function securityHeaders(https: boolean): Record<string, string> {
  return {
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    ...(https ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
}

export function applySecurityHeaders(request: FastifyRequest, reply: FastifyReply): void {
  reply.headers(securityHeaders(request.protocol === 'https'));
  // Account data and tokens must not linger in caches.
  if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
}

export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    applySecurityHeaders(request, reply);
    return payload;
  });
}
