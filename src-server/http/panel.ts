import { readFile } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Serves the Vite-built web panel: dist/renderer/panel/index.html at / and for every other
 * non-/api GET (the panel routes on the client), dist/renderer/assets/* at /assets/*.
 */
export function registerPanel(app: FastifyInstance, rendererDir: string): void {
  const assetsDir = resolve(rendererDir, 'assets');
  const indexFile = join(rendererDir, 'panel', 'index.html');

  const sendIndex = async (reply: FastifyReply) => {
    let html: string;
    try {
      html = await readFile(indexFile, 'utf8');
    } catch {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send(
          'The web panel is not built. Run `npm run build:renderer`, or start the server with `npm run server`.',
        );
    }
    // Vite's base './' makes asset URLs relative to panel/; served at any depth they must be absolute.
    html = html.replaceAll('"../assets/', '"/assets/').replaceAll('"./assets/', '"/assets/');
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  };

  app.get('/', (_request, reply) => sendIndex(reply));

  app.get('/assets/*', async (request, reply) => {
    const rest = (request.params as { '*': string })['*'];
    const file = resolve(assetsDir, rest);
    // Refuse anything that resolves outside the assets folder (../, encoded or not).
    if (!file.startsWith(assetsDir + sep) || rest.includes('\0')) {
      return reply.code(404).send({ error: 'not_found', message: 'No such file.' });
    }
    try {
      const body = await readFile(file);
      return (
        reply
          .type(CONTENT_TYPES[extname(file)] ?? 'application/octet-stream')
          // Vite puts a content hash in asset names: they never change under one URL.
          .header('cache-control', 'public, max-age=31536000, immutable')
          .send(body)
      );
    } catch {
      return reply.code(404).send({ error: 'not_found', message: 'No such file.' });
    }
  });

  app.setNotFoundHandler((request, reply) => {
    if ((request.method === 'GET' || request.method === 'HEAD') && !request.url.startsWith('/api/')) {
      return sendIndex(reply);
    }
    return reply
      .code(404)
      .send({ error: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}.` });
  });
}
