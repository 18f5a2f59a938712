/**
 * `npm run server -- [serve] [options]`      runs the account server and its web panel
 * `npm run server -- user add|list|reset-password|disable-totp ...`   account administration
 * `npm run server -- storage token add|reindex ...`                   account storage administration
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { newPasswordKdf, passwordKeys, toBase64url } from '../src-shared/account-crypto';
import type { PasswordKdf } from '../src-shared/account-keys';
import { deviceName, password as passwordSchema } from '../src-shared/http-api';
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  defaultRendererDir,
  isLoopbackHost,
  openServices,
  startAccountServer,
} from './app';
import { defaultDataDir } from './data-dir';
import { parsePublicUrl } from './http/host-and-origin';
import { ADMIN_CONTEXT } from './services/audit-log';
import { ServiceError, parseOrThrow } from './services/service-error';
import { STORAGE_FLAGS, storageOptions, type StorageFlagValues } from './storage-flags';
import { setQuotaCommand, storageCommand } from './storage-cli';

const USAGE = `Usage:
  npm run server -- [serve] [options]
      --data-dir DIR        database and key file (default: ${defaultDataDir()})
      --host H              address to listen on (default: ${DEFAULT_HOST})
      --port N              port, 0 picks a free one (default: ${DEFAULT_PORT})
      --signup on|off       the panel's "Create account" page (default: on only on loopback
                            without --trust-proxy)
      --require-totp        accounts without TOTP must set it up before anything else
      --tls-cert FILE       PEM certificate: serve HTTPS (with --tls-key)
      --tls-key FILE        PEM private key
      --trust-proxy         behind an HTTPS reverse proxy on this machine: trust X-Forwarded-*
      --trusted-proxy LIST  the proxy's addresses/CIDRs, comma-separated (implies --trust-proxy)
      --public-url URL      the address people use (e.g. https://backup.example.com): the server
                            answers only to its host, the loopback names and the TLS names
      --log                 request log on stderr
      --no-build-panel      do not build the web panel with Vite if it is missing
      --storage DIR|s3://BUCKET/PREFIX   where account storage keeps its files
                            (default: storage/ in the data directory)
      --s3-endpoint URL     an S3-compatible endpoint (MinIO, Ceph, R2); credentials from
                            AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the AWS profile)
      --s3-region R         (default: AWS_REGION, else us-east-1)
      --no-s3-conditional-writes  for stores that refuse If-None-Match on uploads
      --deletion-grace-days N   files deleted by a device stay restorable N days (default 30)
      --default-quota SIZE  storage quota of accounts without their own (e.g. 100G; default none)
      --max-repositories N  repositories per account (default 100)
      --min-upload-rate SIZE  slowest average upload pace over a minute (default 16K; 0: none)
      --legacy-sign-in-until YYYY-MM-DD   accounts made before client-side key derivation may
                            sign in the old way (and are upgraded by it) through that day (UTC);
                            after it they need a password reset (default: no end)
  npm run server -- user add NAME [--data-dir DIR]             a temporary password from stdin or
                            the terminal: the first sign-in sets the account's own
  npm run server -- user list [--data-dir DIR]
  npm run server -- user reset-password NAME [--reset-totp] [--data-dir DIR]   a temporary
                            password (stdin or the terminal); the account's keys stay; signs out
                            every session, device and storage token; --reset-totp turns TOTP off
  npm run server -- user disable-totp NAME [--data-dir DIR]    for a user who lost the phone
  npm run server -- user set-quota NAME SIZE|none [--data-dir DIR]   storage quota (e.g. 50G)
  npm run server -- storage token add USER [--name NAME] [--data-dir DIR]   prints a new storage
                            token (restic, scripts) alone on its last line
  npm run server -- storage reindex [--data-dir DIR] [--storage ...]  rebuild the object table
  npm run server -- storage purge USER [REPO] [--yes]   remove recently deleted files now (says
                            what it would remove; --yes removes it)
  npm run server -- storage purge USER REPO --delete-repository [--yes]   the whole repository
`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      signup: { type: 'string' },
      'require-totp': { type: 'boolean' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'trust-proxy': { type: 'boolean' },
      'trusted-proxy': { type: 'string' },
      'public-url': { type: 'string' },
      log: { type: 'boolean' },
      'no-build-panel': { type: 'boolean' },
      'legacy-sign-in-until': { type: 'string' },
      'reset-totp': { type: 'boolean' },
      name: { type: 'string' },
      ...STORAGE_FLAGS,
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const [command = 'serve', ...rest] = positionals;
  if (command === 'serve') {
    if (rest.length > 0) throw new UsageError(`Unexpected argument: ${rest[0]}`);
    return serve(dataDir, values);
  }
  if (command === 'user' && rest[0] === 'set-quota') return storageAdmin(dataDir, values, rest);
  if (command === 'user') return user(dataDir, rest, { resetTotp: values['reset-totp'] === true });
  if (command === 'storage' && rest[0] === 'token') return storageToken(dataDir, rest, values.name);
  if (command === 'storage') return storageAdmin(dataDir, values, rest);
  throw new UsageError(`Unknown command: ${command}`);
}

async function serve(
  dataDir: string,
  values: {
    host?: string;
    port?: string;
    signup?: string;
    'require-totp'?: boolean;
    'tls-cert'?: string;
    'tls-key'?: string;
    'trust-proxy'?: boolean;
    'trusted-proxy'?: string;
    'public-url'?: string;
    log?: boolean;
    'no-build-panel'?: boolean;
    'legacy-sign-in-until'?: string;
  } & StorageFlagValues,
): Promise<number> {
  const host = values.host ?? DEFAULT_HOST;
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port: not a port number: ${values.port}`);
  if (values.signup !== undefined && values.signup !== 'on' && values.signup !== 'off') {
    throw new UsageError('--signup takes on or off.');
  }
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together.');
  }
  const trustProxy = values['trusted-proxy'] ?? (values['trust-proxy'] ? true : undefined);
  if (!isLoopbackHost(host) && values['tls-cert'] === undefined && trustProxy === undefined) {
    throw new UsageError(
      `Refusing to listen on ${host} over plain HTTP: passwords and codes would cross the network in clear.\n` +
        'Give --tls-cert FILE --tls-key FILE, or run behind an HTTPS reverse proxy with --trust-proxy.',
    );
  }
  if (values['public-url'] !== undefined) {
    try {
      parsePublicUrl(values['public-url']);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  } else if (trustProxy !== undefined) {
    process.stderr.write(
      'Note: behind a proxy, give --public-url with the address people use; until then only requests\n' +
        'whose host is a loopback name with this port (127.0.0.1, localhost, [::1]) are answered.\n',
    );
  }
  const legacySignInUntil = legacyEnd(values['legacy-sign-in-until']);
  const rendererDir = defaultRendererDir();
  if (!values['no-build-panel']) await ensurePanelBuilt(rendererDir);
  const server = await startAccountServer({
    dataDir,
    host,
    port,
    signup: values.signup === undefined ? undefined : values.signup === 'on',
    requireTotp: values['require-totp'] ?? false,
    trustProxy,
    publicUrl: values['public-url'],
    tlsCert: values['tls-cert'] === undefined ? undefined : readFileSync(values['tls-cert']),
    tlsKey: values['tls-key'] === undefined ? undefined : readFileSync(values['tls-key']),
    logger: values.log ?? false,
    rendererDir,
    legacySignInUntil,
    ...storageOptions(values),
  });
  process.stdout.write(`listening on ${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}

/** --legacy-sign-in-until YYYY-MM-DD: open through that whole day (UTC), so the end of the day in ms. */
function legacyEnd(value: string | undefined): number | null {
  if (value === undefined) return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const start = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN;
  if (!match || Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== value) {
    throw new UsageError(`--legacy-sign-in-until: not a date (YYYY-MM-DD): ${value}`);
  }
  return start + 24 * 60 * 60 * 1000;
}

/** `npm install && npm run server` on a fresh checkout: build the panel once if it is missing. */
async function ensurePanelBuilt(rendererDir: string): Promise<void> {
  if (existsSync(join(rendererDir, 'panel', 'index.html'))) return;
  process.stderr.write('The web panel is not built yet: building it with Vite (once)...\n');
  try {
    const { build } = await import('vite');
    await build({
      configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)),
      logLevel: 'warn',
    });
    process.stderr.write('Web panel built.\n');
  } catch (error) {
    // The API still works without the panel; the panel's URL then says how to build it.
    process.stderr.write(`Could not build the web panel: ${(error as Error).message}\n`);
  }
}

async function user(dataDir: string, args: string[], opts: { resetTotp: boolean }): Promise<number> {
  const [action, name, ...extra] = args;
  if (extra.length > 0) throw new UsageError(`Unexpected argument: ${extra[0]}`);
  const needsName = action === 'add' || action === 'reset-password' || action === 'disable-totp';
  if (needsName && !name) throw new UsageError(`user ${action} needs a NAME.`);
  if (!needsName && action !== 'list') throw new UsageError(`Unknown user command: ${action ?? '(none)'}`);
  if (action === 'list' && name) throw new UsageError(`Unexpected argument: ${name}`);
  if (opts.resetTotp && action !== 'reset-password')
    throw new UsageError('--reset-totp goes with user reset-password.');

  // Read the password and derive its auth key before opening anything, so a refused input
  // changes nothing. The server keeps only the key's verifier, as if a client had signed up.
  const credentials = action === 'add' || action === 'reset-password' ? await deriveCredentials(name!) : null;
  const services = openServices(dataDir);
  try {
    switch (action) {
      case 'add':
        services.accounts.create(name!, credentials!.kdf, credentials!.authKey, { temporary: true });
        process.stdout.write(
          `Created account ${name!.trim().toLowerCase()}; its password is temporary: the first sign-in sets a new one.\n`,
        );
        break;
      case 'reset-password':
        services.passwords.reset(name!, credentials!.kdf, credentials!.authKey, opts);
        process.stdout.write(
          `Temporary password set for ${name!.trim().toLowerCase()} (the next sign-in sets a new one); every session, device and storage token of the account was signed out` +
            (opts.resetTotp ? '; two-factor authentication is off' : '') +
            '.\n',
        );
        break;
      case 'disable-totp':
        services.totpEnrolment.adminDisable(name!);
        process.stdout.write(`Two-factor authentication is off for ${name!.trim().toLowerCase()}.\n`);
        break;
      case 'list': {
        const users = services.accounts.list();
        if (users.length === 0) process.stdout.write('No accounts.\n');
        for (const u of users) {
          process.stdout.write(
            `${u.username}\t${u.totpEnabled ? 'totp on' : 'totp off'}\tcreated ${u.createdAt}\n`,
          );
        }
        break;
      }
    }
  } finally {
    services.db.close();
  }
  return 0;
}

async function storageAdmin(dataDir: string, values: StorageFlagValues, args: string[]): Promise<number> {
  const services = openServices(dataDir, storageOptions(values));
  try {
    if (args[0] === 'set-quota') {
      const [, name, size, ...extra] = args;
      if (!name || !size) throw new UsageError('user set-quota needs a NAME and a SIZE.');
      if (extra.length > 0) throw new UsageError(`Unexpected argument: ${extra[0]}`);
      process.stdout.write(setQuotaCommand(services, name, size));
    } else process.stdout.write(await storageCommand(services, args, values));
  } finally {
    services.db.close();
  }
  return 0;
}

/** A new password for the administrator's commands: checked as a person's own, derived here (Argon2id). */
async function deriveCredentials(name: string): Promise<{ kdf: PasswordKdf; authKey: string }> {
  const password = parseOrThrow(passwordSchema, await readPassword(name));
  const kdf = newPasswordKdf();
  const keys = await passwordKeys(password, kdf);
  keys.wrapKey.fill(0);
  const authKey = toBase64url(keys.authKey);
  keys.authKey.fill(0);
  return { kdf, authKey };
}

/** `storage token add USER [--name NAME]`: the token alone on the last line, for scripts to read. */
async function storageToken(dataDir: string, args: string[], name: string | undefined): Promise<number> {
  const [, action, username, ...extra] = args;
  if (action !== 'add') throw new UsageError(`Unknown storage token command: ${action ?? '(none)'}`);
  if (!username) throw new UsageError('storage token add needs a USER.');
  if (extra.length > 0) throw new UsageError(`Unexpected argument: ${extra[0]}`);
  // The panel's own rule for names it shows (no control or text-direction characters).
  const named = deviceName.safeParse(name ?? 'command line');
  if (!named.success) {
    throw new UsageError(`--name: 1 to 100 characters. ${named.error.issues[0]?.message ?? ''}`.trim());
  }
  const tokenName = named.data;
  const services = openServices(dataDir);
  try {
    const account = services.accounts.require(username);
    const { token } = services.sessions.createStorageToken(account.id, tokenName, null);
    services.audit.record(account.id, 'storage_token_created', { ...ADMIN_CONTEXT, device: tokenName });
    process.stdout.write(
      `Storage token "${tokenName}" for ${account.username} (listed and revoked in the web panel under Storage):\n${token}\n`,
    );
  } finally {
    services.db.close();
  }
  return 0;
}

/**
 * The password never comes from argv (it would sit in shell history and `ps`): from the
 * terminal without echo, asked twice, or else the first line of stdin.
 */
async function readPassword(name: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const first = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
    if (first === '') throw new UsageError('No password on stdin.');
    return first;
  }
  const a = await promptHidden(`Password for ${name}: `);
  const b = await promptHidden('Again: ');
  if (a !== b) throw new UsageError('The passwords differ.');
  return a;
}

function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let typed = '';
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          finish();
          return resolve(typed);
        }
        if (ch === '\u0003') {
          finish();
          return reject(new UsageError('Cancelled.'));
        }
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`strongroom-server: ${(error as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    const message = error instanceof ServiceError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`strongroom-server: ${message}\n`);
    process.exit(1);
  },
);
