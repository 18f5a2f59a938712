/**
 * Job reports not yet delivered to the account server (offline, the server down, the device
 * token refused until the next unlock), kept in the job history's SQLite file so they survive a
 * restart and go out later, oldest first. Bounded: beyond MAX_PENDING_REPORTS the oldest are
 * dropped, so a computer that stays offline for months does not grow the file.
 */
import Database from 'better-sqlite3';
import type { JobReportInput } from '../../../src-shared/http-api';

export const MAX_PENDING_REPORTS = 500;

export interface PendingReport {
  id: number;
  /** The account server's origin and the account the report belongs to. */
  serverUrl: string;
  username: string;
  report: JobReportInput;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS job_report_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  server_url TEXT NOT NULL,
  username TEXT NOT NULL,
  report TEXT NOT NULL
);
`;

export class JobReportOutbox {
  private readonly db: Database.Database;

  /** `file`: the job history's SQLite file (its own connection; WAL lets both write). */
  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  add(serverUrl: string, username: string, report: JobReportInput): void {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO job_report_outbox (server_url, username, report) VALUES (?, ?, ?)')
        .run(serverUrl, username, JSON.stringify(report));
      this.db
        .prepare(
          `DELETE FROM job_report_outbox WHERE id <= (SELECT id FROM job_report_outbox ORDER BY id DESC LIMIT 1 OFFSET ?)`,
        )
        .run(MAX_PENDING_REPORTS);
    })();
  }

  /** The oldest reports first. */
  pending(limit = MAX_PENDING_REPORTS): PendingReport[] {
    const rows = this.db
      .prepare('SELECT id, server_url, username, report FROM job_report_outbox ORDER BY id LIMIT ?')
      .all(limit) as { id: number; server_url: string; username: string; report: string }[];
    return rows.map((r) => ({
      id: r.id,
      serverUrl: r.server_url,
      username: r.username,
      report: JSON.parse(r.report) as JobReportInput,
    }));
  }

  remove(id: number): void {
    this.db.prepare('DELETE FROM job_report_outbox WHERE id = ?').run(id);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
