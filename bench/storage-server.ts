/**
 * The account server as the storage benchmark runs it: its own process (so its CPU time and peak
 * memory can be read from /proc), the real server on loopback with its storage in `<dataDir>` (or
 * an S3 bucket), N accounts with one device token each. Prints one JSON line
 * `{ port, accounts: [{ username, token }] }` when ready and closes on SIGTERM.
 *
 *   node --import tsx bench/storage-server.ts <dataDir> [--accounts N] [--storage s3://B/P --s3-endpoint URL]
 */
import { parseArgs } from 'node:util';
import { newPasswordKdf, passwordKeys, toBase64url } from '../src-shared/account-crypto';
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
  ...(values.storage !== undefined ? { storage: values.storage } : {}),
  ...(values['s3-endpoint'] !== undefined ? { s3Endpoint: values['s3-endpoint'] } : {}),
});
const { accounts, sessions } = server.services;
// Accounts are made directly (their key derived once at start-up, never during a measured step).
const kdf = newPasswordKdf();
const authKey = toBase64url((await passwordKeys('benchmark password', kdf)).authKey);
const made: Array<{ username: string; token: string }> = [];
for (let i = 0; i < Number(values.accounts ?? 1); i++) {
  const username = i === 0 ? 'bench' : `bench${i}`;
  accounts.create(username, kdf, authKey, { temporary: false });
  const { token } = sessions.createDevice(accounts.byUsername(username)!.id, 'benchmark');
  made.push({ username, token });
}
process.stdout.write(`${JSON.stringify({ port: server.port, accounts: made })}\n`);

process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
