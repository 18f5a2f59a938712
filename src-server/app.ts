/**
 * The account server's composition root: builds the adapters and services from the options
 * and puts the HTTP routes in front of them. `startAccountServer` is what the CLI, the test
 * fixture and the benchmark use.
 */
import { chmodSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { prepareDataDir } from './data-dir';
import { openDatabase, type Db } from './db/database';
import { clientErrorHandler, frameworkErrorHandler, installErrorHandler } from './http/errors';
import { HostPolicy, installHostAndOriginCheck, parsePublicUrl } from './http/host-and-origin';
import { AuthGate } from './http/auth';
import { registerPanel } from './http/panel';
import { installReplyCheck, registerRoutes } from './http/register-routes';
import { installSecurityHeaders } from './http/security-headers';
import { routes } from '../src-shared/http-api';
import { AccountKeysTable } from './db/account-keys-table';
import { AccountsTable } from './db/accounts-table';
import { accountHandlers } from './routes/account';
import { keyHandlers } from './routes/keys';
import { AccountKeys } from './services/account-keys';
import { AccountRecords } from './services/account-records';
import { AuditLog } from './services/audit-log';
import { AuthKeys } from './services/auth-keys';
import { systemClock, type Clock } from './services/clock';
import { ForgottenPassword } from './services/forgotten-password';
import { JobReportStore } from './services/job-reports';
import { LAST_SEEN_FLUSH_MS } from './services/last-seen';
import { PasswordChanges } from './services/password-changes';
import { RateLimit } from './services/rate-limit';
import { RecoveryCodes } from './services/recovery-codes';
import { SecondFactor } from './services/second-factor';
import { ServerKey } from './services/server-key';
import { SessionStore } from './services/sessions';
import { SignIn } from './services/sign-in';
import { SignUp } from './services/sign-up';
import { ThrottleStore } from './services/throttle';
import { TotpVerifier } from './services/totp';
import { TotpCodeCheck } from './services/totp-code-check';
import { TotpEnrolment } from './services/totp-enrolment';
import { registerStorageRoutes } from './routes/storage';
import { storagePanelHandlers } from './routes/storage-panel';
import { openStorageService, type StorageOptions } from './storage/open-storage';
import type { StorageService } from './storage/storage-service';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8437;
/** JSON bodies here are a few hundred bytes; 16 KiB leaves room and refuses floods of data. */
export const BODY_LIMIT_BYTES = 16 * 1024;
export const DATABASE_FILE = 'strongroom.sqlite';
/**
 * A connection that sends and receives nothing for this long is closed: a stalled upload or a
 * slow-loris. An idle timeout, not a total one, so a large upload on a slow link goes on as long
 * as its bytes keep coming.
 */
export const IDLE_TIMEOUT_MS = 30_000;
/**
 * Node's own request timeouts, given when the server is made: Node reads requestTimeout there
 * (Fastify's later assignment did not shorten its 300 s default), and a total bound is what a slow
 * upload must not have. Headers still have to arrive within a minute (slow-loris).
 */
const NODE_TIMEOUTS = { requestTimeout: 0, headersTimeout: 60_000 };
export const KEY_FILE = 'server.key';

export interface AccountServerOptions extends StorageOptions {
  /** Holds the SQLite database and the key file; created (mode 0700) if missing, tightened to 0700 if looser. */
  dataDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** The "Create account" page; default: on only on loopback and not behind a proxy. */
  signup?: boolean;
  /** Accounts without TOTP must enrol before anything else. */
  requireTotp?: boolean;
  /**
   * Behind a reverse proxy: take the client address and protocol from X-Forwarded-For/-Proto.
   * `true` trusts a proxy on loopback; a string lists proxy addresses/CIDRs (comma-separated).
   */
  trustProxy?: boolean | string;
  /**
   * The address people use (e.g. https://backup.example.com): its host is a name the server
   * answers to, besides the loopback names and the TLS certificate's names. Needed behind a proxy
   * that passes the client's Host on.
   */
  publicUrl?: string;
  /** PEM certificate and key (contents, not paths) for HTTPS. */
  tlsCert?: string | Buffer;
  tlsKey?: string | Buffer;
  clock?: Clock;
  /**
   * The old sign-in (the legacy proof of accounts made before the auth key) is taken until this
   * time (ms since the epoch); then it is refused for every account. Default: no end.
   */
  legacySignInUntil?: number | null;
  /** Sign-in parameter requests allowed per client address and minute (default 60). */
  signInParamsPerMinute?: number;
  /** Fastify's request log (to stderr); off by default. Bodies and headers are never logged. */
  logger?: boolean;
  /** Folder of the Vite build (panel/index.html, assets/); default dist/renderer of this checkout. */
  rendererDir?: string;
  /** Closes a connection silent for this long (default IDLE_TIMEOUT_MS; shorter only for tests). */
  idleTimeoutMs?: number;
  /** Tests: check every /api answer against the contract; mismatches land in `replyProblems`. */
  validateReplies?: boolean;
  /** Tests: wraps the database once opened (e.g. to make its writes fail as on a full disk). */
  wrapDatabase?: (db: Db) => Db;
}

export interface AccountServer {
  url: string;
  host: string;
  port: number;
  dataDir: string;
  signup: boolean;
  app: FastifyInstance;
  services: AccountServerServices;
  /** Every route registered, as Fastify has it (the route-table test compares it with the table). */
  registeredRoutes: Array<{ method: string; url: string }>;
  /** With `validateReplies`: each answer that did not match the contract. */
  replyProblems: string[];
  close(): Promise<void>;
}

export interface AccountServerServices {
  db: Db;
  accounts: AccountRecords;
  authKeys: AuthKeys;
  keys: AccountKeys;
  signIn: SignIn;
  signUp: SignUp;
  passwords: PasswordChanges;
  forgottenPassword: ForgottenPassword;
  totpEnrolment: TotpEnrolment;
  recoveryCodes: RecoveryCodes;
  secondFactor: SecondFactor;
  sessions: SessionStore;
  throttle: ThrottleStore;
  audit: AuditLog;
  key: ServerKey;
  clock: Clock;
  storage: StorageService;
  jobReports: JobReportStore;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

export function defaultRendererDir(): string {
  return fileURLToPath(new URL('../dist/renderer', import.meta.url));
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Opens the data directory's database, key and services (also used by the admin CLI). */
export function openServices(
  dataDir: string,
  opts: {
    clock?: Clock;
    requireTotp?: boolean;
    legacySignInUntil?: number | null;
    signInParamsPerMinute?: number;
    wrapDatabase?: (db: Db) => Db;
  } & StorageOptions = {},
): AccountServerServices {
  prepareDataDir(dataDir);
  const clock = opts.clock ?? systemClock;
  const key = ServerKey.loadOrCreate(join(dataDir, KEY_FILE));
  const opened = openDatabase(join(dataDir, DATABASE_FILE));
  const db = opts.wrapDatabase ? opts.wrapDatabase(opened) : opened;
  restrictToOwner(dataDir);
  const throttle = new ThrottleStore(db, clock, key);
  const audit = new AuditLog(db, clock);
  const sessions = new SessionStore(db, clock, key);
  const authKeys = new AuthKeys(key);
  sealLegacyHashes(db, authKeys);
  const totp = new TotpVerifier();
  const accounts = new AccountRecords({ db, clock, authKeys, requireTotp: opts.requireTotp ?? false });
  const totpCodes = new TotpCodeCheck(accounts.table, clock, key, totp);
  const recoveryCodes = new RecoveryCodes({ db, clock, key, throttle, audit, totpCodes });
  const signIn = new SignIn({
    accounts,
    authKeys,
    throttle,
    audit,
    totpCodes,
    recoveryCodes,
    clock,
    paramsLimit: new RateLimit(clock, opts.signInParamsPerMinute ?? 60, 'sign-in attempts'),
    legacySignInUntil: opts.legacySignInUntil ?? null,
  });
  const signUp = new SignUp(accounts, throttle);
  const keyRows = new AccountKeysTable(db);
  const keys = new AccountKeys({ db, clock, key, authKeys, accounts, keyRows, audit });
  const totpEnrolment = new TotpEnrolment({
    db,
    clock,
    key,
    authKeys,
    throttle,
    audit,
    totp,
    totpCodes,
    recoveryCodes,
    accounts,
  });
  const passwords = new PasswordChanges({
    db,
    accounts,
    authKeys,
    keys,
    signIn,
    throttle,
    audit,
    sessions,
    turnOffTotp: (id) => totpEnrolment.turnOff(id),
  });
  const forgottenPassword = new ForgottenPassword({
    db,
    clock,
    accounts,
    authKeys,
    keys,
    keyRows,
    signIn,
    throttle,
    audit,
    sessions,
  });
  const secondFactor = new SecondFactor({ throttle, audit, totpCodes, recoveryCodes });
  const storage = openStorageService(db, clock, audit, dataDir, opts);
  const jobReports = new JobReportStore(db, clock);
  return {
    db,
    accounts,
    authKeys,
    keys,
    signIn,
    signUp,
    passwords,
    forgottenPassword,
    totpEnrolment,
    recoveryCodes,
    secondFactor,
    sessions,
    throttle,
    audit,
    key,
    clock,
    storage,
    jobReports,
  };
}

/**
 * Accounts not yet migrated keep their old `scrypt$…` hash until their next sign-in. Its hash part
 * is turned into a MAC under the server key once, at the first start of this server (idempotent:
 * a turned hash no longer starts with `scrypt$`), so a stolen database cannot pass the hash as a
 * legacy proof. The old bytes are then checkpointed out of the write-ahead log.
 */
function sealLegacyHashes(db: Db, authKeys: AuthKeys): void {
  const table = new AccountsTable(db);
  const rows = table.plainLegacyHashes();
  if (rows.length === 0) return;
  db.transaction(() => {
    for (const row of rows) {
      const sealed = authKeys.sealLegacyHash(row.legacy_hash);
      if (sealed !== null) table.replaceLegacyHash(row.id, row.legacy_hash, sealed);
    }
  }).immediate();
  db.pragma('wal_checkpoint(TRUNCATE)');
}

/** The database holds verifiers and sealed key rows: owner-only, like the key file (no-op on Windows). */
function restrictToOwner(dataDir: string): void {
  if (process.platform === 'win32') return;
  for (const name of [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`]) {
    try {
      chmodSync(join(dataDir, name), 0o600);
    } catch {
      // -wal/-shm exist only while the database is open in WAL mode.
    }
  }
}

function trustProxySetting(value: AccountServerOptions['trustProxy']): boolean | string {
  if (value === undefined || value === false) return false;
  if (value === true) return '127.0.0.1,::1';
  return value;
}

export async function startAccountServer(options: AccountServerOptions): Promise<AccountServer> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  const https = options.tlsCert !== undefined || options.tlsKey !== undefined;
  if (https && (options.tlsCert === undefined || options.tlsKey === undefined)) {
    throw new Error('HTTPS needs both a certificate and a key.');
  }
  const trustProxy = trustProxySetting(options.trustProxy);
  if (options.publicUrl !== undefined) parsePublicUrl(options.publicUrl);
  if (!isLoopbackHost(host) && !https && trustProxy === false) {
    // Auth keys (sign-in credentials) and codes must never cross a network in clear by accident.
    throw new Error(
      `Refusing to listen on ${host} over plain HTTP: give --tls-cert and --tls-key, or run behind an HTTPS reverse proxy with --trust-proxy.`,
    );
  }
  // Behind a reverse proxy the loopback address is reachable from the network: sign-up stays
  // off unless asked for, so a public server never lets strangers make accounts by default.
  const signup = options.signup ?? (isLoopbackHost(host) && trustProxy === false);
  const services = openServices(options.dataDir, options);
  // Before the first request: the temporary files and uploads a crash left half-way.
  await services.storage.recover((id) => services.accounts.byId(id)?.username);

  const app = Fastify({
    logger: options.logger ? { level: 'info', stream: process.stderr } : false,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy,
    // Without Host, Node answers a bare 400 itself; the Host check answers it in our shape instead.
    http: { requireHostHeader: false, ...NODE_TIMEOUTS },
    ...(https
      ? {
          https: { cert: options.tlsCert!, key: options.tlsKey!, requireHostHeader: false, ...NODE_TIMEOUTS },
        }
      : {}),
    // No bound on a whole request (a pack upload on a slow link may take minutes): a connection
    // is cut when it goes silent instead (Node's socket timeout).
    requestTimeout: 0,
    connectionTimeout: options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    // Closing ends every connection, in-flight ones too (an upload cut here is never committed):
    // with the default, only idle keep-alive connections, and after a panel POST followed by a
    // storage GET on the same connection, close() waited forever (tests/server/storage-deletion).
    forceCloseConnections: true,
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    // Strict schemas: an unknown or mistyped field is an error, never silently dropped or coerced.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
  }) as unknown as FastifyInstance;
  await app.register(cookie);
  // JSON only: Fastify also parses text/plain by default, which is what a cross-site
  // <form enctype="text/plain"> can send without a CORS preflight.
  app.removeContentTypeParser('text/plain');
  installSecurityHeaders(app);
  installErrorHandler(app);
  installHostAndOriginCheck(
    app,
    new HostPolicy({
      protocol: https ? 'https' : 'http',
      listenHost: host,
      port: () => {
        const address = app.server.address();
        return typeof address === 'object' && address ? address.port : port;
      },
      publicUrl: options.publicUrl,
      tlsCert: options.tlsCert,
    }),
  );
  const registeredRoutes: AccountServer['registeredRoutes'] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) registeredRoutes.push({ method, url: route.url });
  });
  const replyProblems: string[] = [];
  if (options.validateReplies) installReplyCheck(app, routes, replyProblems);
  const gate = new AuthGate(services);
  await registerRoutes(
    app,
    routes,
    {
      ...accountHandlers({ ...services, signup, version: packageVersion() }),
      ...keyHandlers(services),
      ...storagePanelHandlers(services),
    },
    gate,
  );
  await registerStorageRoutes(app, { ...services, gate });
  registerPanel(app, options.rendererDir ?? defaultRendererDir());

  const sweep = setInterval(
    () => {
      try {
        services.sessions.sweep();
        services.audit.sweep();
        services.throttle.sweep();
        services.keys.sweep();
      } catch (error) {
        // A full disk refuses deletes too; the next hour tries again, and the server stays up.
        process.stderr.write(`housekeeping failed: ${(error as Error).message}\n`);
      }
      void sweepStorage(services);
    },
    60 * 60 * 1000,
  );
  sweep.unref();
  const lastSeen = setInterval(() => services.sessions.flushLastSeen(), LAST_SEEN_FLUSH_MS);
  lastSeen.unref();

  try {
    await app.listen({ host, port });
  } catch (error) {
    // e.g. EADDRINUSE: release everything, and let the caller see the original error.
    clearInterval(sweep);
    clearInterval(lastSeen);
    await app.close().catch(() => undefined);
    services.db.close();
    throw error;
  }
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `${https ? 'https' : 'http'}://${urlHost}:${actualPort}`,
    host,
    port: actualPort,
    dataDir: options.dataDir,
    signup,
    app,
    services,
    registeredRoutes,
    replyProblems,
    async close() {
      clearInterval(sweep);
      clearInterval(lastSeen);
      await app.close();
      services.sessions.flushLastSeen();
      services.db.close();
    },
  };
}

/** Purges recently deleted storage past its grace period; a failure is logged and retried next hour. */
export async function sweepStorage(services: AccountServerServices): Promise<number> {
  try {
    return await services.storage.sweep((id) => services.accounts.byId(id)?.username);
  } catch (error) {
    process.stderr.write(`storage sweep failed: ${(error as Error).message}\n`);
    return 0;
  }
}
