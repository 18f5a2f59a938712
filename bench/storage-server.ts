/**
 * The account server as the storage benchmark runs it: its own process (so its CPU time and peak
 * memory can be read from /proc), the real server on loopback with disk storage in `<dataDir>`,
 * one account and one device token. Prints one JSON line `{ port, username, token }` when ready
 * and closes on SIGTERM.
 *
 *   node --import tsx bench/storage-server.ts <dataDir>
 */
import { newPasswordKdf, passwordKeys, toBase64url } from '../src-shared/account-crypto';
import { startAccountServer } from '../src-server/app';

const dataDir = process.argv[2];
if (!dataDir) {
  console.error('usage: storage-server.ts <dataDir>');
  process.exit(2);
}
const username = 'bench';
const server = await startAccountServer({
  dataDir,
  host: '127.0.0.1',
  port: 0,
});
const { accounts, sessions } = server.services;
// The account is made directly (its key derived once at start-up, never during a measured step).
const kdf = newPasswordKdf();
accounts.create(username, kdf, toBase64url((await passwordKeys('benchmark password', kdf)).authKey), {
  temporary: false,
});
const account = accounts.byUsername(username)!;
const { token } = sessions.createDevice(account.id, 'benchmark');
process.stdout.write(`${JSON.stringify({ port: server.port, username, token })}\n`);

process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
