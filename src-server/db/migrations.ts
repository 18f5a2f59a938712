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
  // 5: account storage at provider scale. Per-type counters of each repository, kept by triggers
  // so no request sums the object table (a DELETE in a 100,000-file repository scanned it); the
  // last write per repository; hourly write/delete activity for the deletion alerts; alerts by
  // kind; uploads in flight (reconciled at start); repositories their owner deleted; purges
  // scheduled for later.
  `
  CREATE TABLE storage_type_stats (
    repo_id INTEGER NOT NULL REFERENCES storage_repos(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    live_files INTEGER NOT NULL DEFAULT 0,
    live_bytes INTEGER NOT NULL DEFAULT 0,
    deleted_files INTEGER NOT NULL DEFAULT 0,
    deleted_bytes INTEGER NOT NULL DEFAULT 0,
    -- What the quota counts: every stored file (recently deleted too), each at least one 4 KiB
    -- block (MIN_CHARGED_BYTES in src-server/storage/storage-service.ts).
    charged_bytes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (repo_id, type)
  ) WITHOUT ROWID;
  INSERT INTO storage_type_stats
    SELECT repo_id, type,
      SUM(deleted_at IS NULL), SUM(CASE WHEN deleted_at IS NULL THEN size ELSE 0 END),
      SUM(deleted_at IS NOT NULL), SUM(CASE WHEN deleted_at IS NOT NULL THEN size ELSE 0 END),
      SUM(MAX(size, 4096))
    FROM storage_objects GROUP BY repo_id, type;
  CREATE TRIGGER storage_objects_counted_insert AFTER INSERT ON storage_objects BEGIN
    INSERT OR IGNORE INTO storage_type_stats (repo_id, type) VALUES (NEW.repo_id, NEW.type);
    UPDATE storage_type_stats SET
      live_files = live_files + (NEW.deleted_at IS NULL),
      live_bytes = live_bytes + CASE WHEN NEW.deleted_at IS NULL THEN NEW.size ELSE 0 END,
      deleted_files = deleted_files + (NEW.deleted_at IS NOT NULL),
      deleted_bytes = deleted_bytes + CASE WHEN NEW.deleted_at IS NOT NULL THEN NEW.size ELSE 0 END,
      charged_bytes = charged_bytes + MAX(NEW.size, 4096)
    WHERE repo_id = NEW.repo_id AND type = NEW.type;
    UPDATE storage_repos SET last_write_at = NEW.created_at, last_write_by = NEW.writer_name
    WHERE id = NEW.repo_id AND NEW.type != 'locks'
      AND (last_write_at IS NULL OR last_write_at <= NEW.created_at);
  END;
  CREATE TRIGGER storage_objects_counted_delete AFTER DELETE ON storage_objects BEGIN
    UPDATE storage_type_stats SET
      live_files = live_files - (OLD.deleted_at IS NULL),
      live_bytes = live_bytes - CASE WHEN OLD.deleted_at IS NULL THEN OLD.size ELSE 0 END,
      deleted_files = deleted_files - (OLD.deleted_at IS NOT NULL),
      deleted_bytes = deleted_bytes - CASE WHEN OLD.deleted_at IS NOT NULL THEN OLD.size ELSE 0 END,
      charged_bytes = charged_bytes - MAX(OLD.size, 4096)
    WHERE repo_id = OLD.repo_id AND type = OLD.type;
  END;
  CREATE TRIGGER storage_objects_counted_update AFTER UPDATE OF deleted_at, size ON storage_objects BEGIN
    UPDATE storage_type_stats SET
      live_files = live_files - (OLD.deleted_at IS NULL) + (NEW.deleted_at IS NULL),
      live_bytes = live_bytes - CASE WHEN OLD.deleted_at IS NULL THEN OLD.size ELSE 0 END
                              + CASE WHEN NEW.deleted_at IS NULL THEN NEW.size ELSE 0 END,
      deleted_files = deleted_files - (OLD.deleted_at IS NOT NULL) + (NEW.deleted_at IS NOT NULL),
      deleted_bytes = deleted_bytes - CASE WHEN OLD.deleted_at IS NOT NULL THEN OLD.size ELSE 0 END
                                    + CASE WHEN NEW.deleted_at IS NOT NULL THEN NEW.size ELSE 0 END,
      charged_bytes = charged_bytes - MAX(OLD.size, 4096) + MAX(NEW.size, 4096)
    WHERE repo_id = NEW.repo_id AND type = NEW.type;
  END;
  ALTER TABLE storage_repos ADD COLUMN last_write_at INTEGER;
  ALTER TABLE storage_repos ADD COLUMN last_write_by TEXT;
  -- Set when the owner deletes the whole repository: its files are recently deleted, and the row
  -- goes when the sweep has purged the last of them.
  ALTER TABLE storage_repos ADD COLUMN deleted_at INTEGER;
  UPDATE storage_repos SET
    last_write_at = (SELECT MAX(created_at) FROM storage_objects o
                     WHERE o.repo_id = storage_repos.id AND o.type != 'locks'),
    last_write_by = (SELECT writer_name FROM storage_objects o
                     WHERE o.repo_id = storage_repos.id AND o.type != 'locks'
                     ORDER BY created_at DESC LIMIT 1);
  -- Files written and deleted per repository, type and hour (ms / 3,600,000): the deletion alerts
  -- sum the last day's 24 rows instead of the objects.
  CREATE TABLE storage_activity (
    repo_id INTEGER NOT NULL REFERENCES storage_repos(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    hour INTEGER NOT NULL,
    written_files INTEGER NOT NULL DEFAULT 0,
    written_bytes INTEGER NOT NULL DEFAULT 0,
    deleted_files INTEGER NOT NULL DEFAULT 0,
    deleted_bytes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (repo_id, type, hour)
  ) WITHOUT ROWID;
  ALTER TABLE storage_deletion_alerts ADD COLUMN kind TEXT NOT NULL DEFAULT 'bytes'
    CHECK (kind IN ('bytes', 'config', 'keys', 'snapshots', 'index'));
  ALTER TABLE storage_deletion_alerts ADD COLUMN deleted_files INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE storage_deletion_alerts ADD COLUMN repo_files INTEGER NOT NULL DEFAULT 0;
  -- An upload between its first byte and its row: after a crash, an object the store committed
  -- is given its row at start, and a multipart upload left open is aborted.
  CREATE TABLE storage_uploads (
    id INTEGER PRIMARY KEY,
    repo_id INTEGER NOT NULL REFERENCES storage_repos(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    writer_id TEXT,
    writer_name TEXT
  );
  -- A purge the owner asked for, carried out by the sweep at due_at unless cancelled first.
  CREATE TABLE storage_purge_requests (
    id INTEGER PRIMARY KEY,
    repo_id INTEGER NOT NULL REFERENCES storage_repos(id) ON DELETE CASCADE,
    requested_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    -- JSON [{ "type", "name" }], or NULL for every recently deleted file of the repository.
    files TEXT,
    requested_by TEXT
  );
  CREATE INDEX storage_purge_requests_due ON storage_purge_requests(due_at);
  `,
  // 6: the account is the key (docs/security-model.md). The server keeps a MAC of the auth key the
  // client derives (never a password hash), the account's credential generation, and rows it
  // cannot read: the wrapped account master key, the vault directory, the computer profiles.
  // password_hash moves to legacy_hash until its account signs in once more; the server turns its
  // hash part into a keyed MAC at start (SQL cannot reach the server key). Blobs are sealed again
  // with the server key by the code that writes them.
  `
  ALTER TABLE accounts ADD COLUMN account_uid TEXT;
  UPDATE accounts SET account_uid = lower(hex(randomblob(16)));
  CREATE UNIQUE INDEX accounts_uid ON accounts(account_uid);
  ALTER TABLE accounts ADD COLUMN auth_kdf TEXT;
  ALTER TABLE accounts ADD COLUMN auth_verifier TEXT;
  ALTER TABLE accounts ADD COLUMN legacy_hash TEXT;
  UPDATE accounts SET legacy_hash = password_hash;
  ALTER TABLE accounts DROP COLUMN password_hash;
  ALTER TABLE accounts ADD COLUMN key_generation INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE accounts ADD COLUMN key_id TEXT;
  ALTER TABLE accounts ADD COLUMN password_temporary INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE accounts ADD COLUMN password_wrap_current INTEGER NOT NULL DEFAULT 1;
  -- One row per wrap of the AMK: the password's, the recovery key's, one per remembered computer
  -- ('' for the first two). wrap_sealed: the row as the client sent it, sealed with the server key.
  CREATE TABLE account_wraps (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('password', 'recovery', 'device')),
    computer_id TEXT NOT NULL DEFAULT '',
    generation INTEGER NOT NULL,
    wrap_sealed TEXT NOT NULL,
    -- recovery only: HMAC(server subkey, account uid | recovery proof)
    proof_mac TEXT,
    written_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, kind, computer_id)
  ) WITHOUT ROWID;
  CREATE TABLE vault_directory (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    vault_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    sealed TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER,
    PRIMARY KEY (account_id, vault_id)
  ) WITHOUT ROWID;
  CREATE TABLE computer_profiles (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    computer_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    sealed TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER,
    PRIMARY KEY (account_id, computer_id)
  ) WITHOUT ROWID;
  -- The forgotten-password flow's single-use tickets: a hash of the ticket, bound to the
  -- generation it was issued at.
  CREATE TABLE recovery_tickets (
    ticket_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    generation INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
  );
  CREATE INDEX recovery_tickets_expiry ON recovery_tickets(expires_at);
  ALTER TABLE sessions ADD COLUMN computer_id TEXT;
  ALTER TABLE devices ADD COLUMN computer_id TEXT;
  `,
  // "Start fresh" keeps the replaced key's recovery wrap (server-sealed, as in account_wraps), so
  // the old account recovery kit still opens the old vaults' directory rows.
  `
  CREATE TABLE archived_recovery_wraps (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    key_id TEXT NOT NULL,
    generation INTEGER NOT NULL,
    wrap_sealed TEXT NOT NULL,
    archived_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, key_id)
  ) WITHOUT ROWID;
  `,
  // A name the owner gave a device in the panel: later sign-ins of the same computer take it
  // instead of the computer's own name.
  `
  ALTER TABLE devices ADD COLUMN custom_name TEXT;
  `,
];
