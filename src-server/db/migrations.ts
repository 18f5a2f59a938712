/**
 * Versioned schema migrations. Each entry moves the database from version i to i + 1 and runs
 * in one transaction together with the PRAGMA user_version bump, so a crash never leaves a
 * half-migrated file. Append new migrations; never edit a released one.
 */
export const migrations: readonly string[] = [
  // 1: accounts, TOTP, recovery codes, sessions, devices, throttling, audit log.
  `
  CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    totp_secret_enc TEXT,
    totp_enabled_at INTEGER,
    -- Last accepted TOTP time step: only a later step passes (no replay).
    totp_last_step INTEGER
  );
  CREATE TABLE totp_pending (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    secret_enc TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at INTEGER,
    UNIQUE (account_id, code_hash)
  );
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER,
    revoked_at INTEGER
  );
  CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('cookie', 'bearer')),
    device_id TEXT REFERENCES devices(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
  );
  CREATE INDEX sessions_account ON sessions(account_id);
  CREATE TABLE throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    blocked_until INTEGER NOT NULL
  );
  CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    client TEXT NOT NULL,
    device TEXT
  );
  CREATE INDEX audit_account_at ON audit_events(account_id, at);
  `,
  // 2 (issue 12): throttle rows are keyed by an HMAC (ThrottleStore rewrites older plain rows at
  // start, as SQL cannot reach the server key) and swept by blocked_until; a password change
  // records why it ended each session and device token, so they are told so.
  `
  CREATE INDEX throttle_blocked_until ON throttle(blocked_until);
  ALTER TABLE devices ADD COLUMN revoked_reason TEXT;
  CREATE TABLE ended_sessions (
    id_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    reason TEXT NOT NULL CHECK (reason IN ('password_changed')),
    ended_at INTEGER NOT NULL
  );
  CREATE INDEX ended_sessions_at ON ended_sessions(ended_at);
  `,
  // 3: account storage (issue 8): repositories, the object table, storage tokens (devices of
  // kind 'storage'), quotas, deletion alerts, job reports.
  `
  ALTER TABLE devices ADD COLUMN kind TEXT NOT NULL DEFAULT 'device' CHECK (kind IN ('device', 'storage'));
  CREATE TABLE storage_repos (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (account_id, name)
  );
  -- One row per stored file. deleted_at marks "recently deleted": the bytes stay in the store
  -- until the grace period ends. writer/deleter names are kept so a revoked device still shows.
  CREATE TABLE storage_objects (
    repo_id INTEGER NOT NULL REFERENCES storage_repos(id) ON DELETE CASCADE,
    type TEXT NOT NULL CHECK (type IN ('config', 'data', 'keys', 'locks', 'snapshots', 'index')),
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    writer_id TEXT,
    writer_name TEXT,
    deleted_at INTEGER,
    deleter_id TEXT,
    deleter_name TEXT,
    PRIMARY KEY (repo_id, type, name)
  ) WITHOUT ROWID;
  CREATE INDEX storage_objects_deleted ON storage_objects(deleted_at) WHERE deleted_at IS NOT NULL;
  CREATE TABLE storage_quotas (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    bytes INTEGER NOT NULL
  );
  CREATE TABLE storage_deletion_alerts (
    id INTEGER PRIMARY KEY,
    repo_id INTEGER NOT NULL REFERENCES storage_repos(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    deleted_bytes INTEGER NOT NULL,
    repo_bytes INTEGER NOT NULL,
    device TEXT
  );
  CREATE INDEX storage_deletion_alerts_repo ON storage_deletion_alerts(repo_id, at);
  CREATE TABLE job_reports (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    received_at INTEGER NOT NULL,
    report TEXT NOT NULL
  );
  CREATE INDEX job_reports_device ON job_reports(device_id, received_at);
  `,
  // 4: sessions record when they passed a full sign-in (password and second factor, or a TOTP
  // enrolment confirmed in them), for the routes that need a recent one; a storage token records
  // the device whose session made it, so revoking that device revokes the token too.
  `
  ALTER TABLE sessions ADD COLUMN full_at INTEGER;
  ALTER TABLE devices ADD COLUMN creator_device_id TEXT REFERENCES devices(id);
  CREATE INDEX devices_creator ON devices(creator_device_id) WHERE creator_device_id IS NOT NULL;
  `,
];
