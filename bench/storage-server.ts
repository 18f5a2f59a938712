/**
 * The account server as the storage benchmark runs it: its own process (so its CPU time and peak
 * memory can be read from /proc), the real server on loopback with its storage in `<dataDir>` (or
 * an S3 bucket), N accounts with one device token each. Prints one JSON line
 * `{ port, accounts: [{ username, token }] }` when ready and closes on SIGTERM.
 *
 *   node --import tsx bench/storage-server.ts <dataDir> [--accounts N] [--storage s3://B/P --s3-endpoint URL]
 */
import { parseArgs } from 'node:util';
import { startAccountServer } from '../src-server/app';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    accounts: { type: 'string' },
    storage: { type: 'string' },
    's3-endpoint': { type: 'string' },
  },
});
const dataDir = positionals[0];
if (!dataDir) {
  console.error('usage: storage-server.ts <dataDir> [--accounts N] [--storage URL --s3-endpoint URL]');
  process.exit(2);
}
const server = await startAccountServer({
  dataDir,
  host: '127.0.0.1',
  port: 0,
  // The password hashes are made at start-up, never during a measured step: keep them cheap.
  scrypt: { N: 2 ** 10, r: 8, p: 1 },
  ...(values.storage !== undefined ? { storage: values.storage } : {}),
  ...(values['s3-endpoint'] !== undefined ? { s3Endpoint: values['s3-endpoint'] } : {}),
});
const { accounts, sessions } = server.services;
const made: Array<{ username: string; token: string }> = [];
for (let i = 0; i < Number(values.accounts ?? 1); i++) {
  const username = i === 0 ? 'bench' : `bench${i}`;
  await accounts.create(username, 'benchmark password');
  const { token } = sessions.createDevice(accounts.byUsername(username)!.id, 'benchmark');
  made.push({ username, token });
}
process.stdout.write(`${JSON.stringify({ port: server.port, accounts: made })}\n`);

process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
