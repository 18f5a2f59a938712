/**
 * The load of the prune table, in its own process so its requests do not share an event loop with
 * the latency being measured:
 *
 *   node --import tsx bench/storage-load.ts seed|delete <repository URL/> <authorization|-> <count> <concurrency>
 *
 * seed: POSTs `count` small data files (1 KiB, named by their SHA-256); delete: DELETEs them again,
 * as a prune of that many packs does. Prints one JSON line `{ seconds, requests, failed }`.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';

const [mode, repoUrl, authorization, countText, concurrencyText] = process.argv.slice(2);
if ((mode !== 'seed' && mode !== 'delete') || !repoUrl || !authorization || !countText || !concurrencyText) {
  console.error(
    'usage: storage-load.ts seed|delete <repository URL/> <authorization|-> <count> <concurrency>',
  );
  process.exit(2);
}
const count = Number(countText);
const headers: Record<string, string> = authorization === '-' ? {} : { authorization };

function fileBytes(i: number): Buffer {
  return Buffer.from(`prune benchmark file ${i} `.padEnd(1024, '.'));
}
const nameOf = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let next = 0;
let failed = 0;
async function worker(): Promise<void> {
  for (let i = next++; i < count; i = next++) {
    const bytes = fileBytes(i);
    const url = `${repoUrl}data/${nameOf(bytes)}`;
    const answer =
      mode === 'seed'
        ? await fetch(url, { method: 'POST', headers, body: new Uint8Array(bytes) })
        : await fetch(url, { method: 'DELETE', headers });
    await answer.arrayBuffer();
    if (!answer.ok) failed++;
  }
}

const start = performance.now();
await Promise.all(Array.from({ length: Number(concurrencyText) }, () => worker()));
process.stdout.write(
  `${JSON.stringify({ seconds: (performance.now() - start) / 1000, requests: count, failed })}\n`,
);
