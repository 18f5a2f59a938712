/**
 * The key-derivation worker thread (started by main's Argon2WorkerThread): derives one key at a
 * time, so the 64 MiB and 0.3 s of a sign-in's Argon2id (and the 128 MiB of a legacy account's
 * scrypt, once at migration) never stop main's event loop. The bounds are checked here too
 * (argon2idInProcess, legacyProofOf), before anything is allocated.
 */
import { parentPort } from 'node:worker_threads';
import { AccountKeyError, argon2idInProcess, legacyProofOf } from '../../src-shared/account-crypto';
import type { DerivationReply, DerivationRequest } from './protocol';

const port = parentPort;
if (!port) throw new Error('the Argon2id worker runs as a worker thread');

// One derivation at a time: each holds its memory until it ends.
let queue: Promise<void> = Promise.resolve();

port.on('message', (request: DerivationRequest) => {
  queue = queue.then(async () => {
    let reply: DerivationReply;
    try {
      const key =
        request.op === 'argon2id'
          ? await argon2idInProcess(request)
          : await legacyProofOf(new TextDecoder().decode(request.password), request.legacy);
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
