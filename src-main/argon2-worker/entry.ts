/**
 * The Argon2id worker thread (started by main's Argon2WorkerThread): derives one key at a time, so
 * the 64 MiB and 0.3 s of a sign-in never stop main's event loop. The bounds are checked here too
 * (argon2idInProcess), before anything is allocated.
 */
import { parentPort } from 'node:worker_threads';
import { AccountKeyError, argon2idInProcess } from '../../src-shared/account-crypto';
import type { Argon2Reply, Argon2Request } from './protocol';

const port = parentPort;
if (!port) throw new Error('the Argon2id worker runs as a worker thread');

// One derivation at a time: each holds its memory until it ends.
let queue: Promise<void> = Promise.resolve();

port.on('message', (request: Argon2Request) => {
  queue = queue.then(async () => {
    let reply: Argon2Reply;
    try {
      const key = await argon2idInProcess(request);
      reply = { id: request.id, ok: true, key };
    } catch (error) {
      reply = {
        id: request.id,
        ok: false,
        code: error instanceof AccountKeyError ? error.code : null,
        message: error instanceof AccountKeyError ? error.message : 'The key derivation failed.',
      };
    } finally {
      request.password.fill(0);
    }
    port.postMessage(reply, reply.ok ? [reply.key.buffer as ArrayBuffer] : []);
  });
});
