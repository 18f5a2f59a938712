import type { JobReport, JobReportInput, JobReportList, ReportedBackup } from '../../src-shared/http-api';
import type { Db } from '../db/database';
import type { Clock } from './clock';

/** Reports kept per device: enough to see weeks of daily runs at a glance. */
export const REPORTS_PER_DEVICE = 50;

/** What each device says about its finished jobs (figures only), for the panel. */
export class JobReportStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  add(accountId: number, deviceId: string, report: JobReportInput): void {
    const now = this.clock.now();
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO job_reports (account_id, device_id, received_at, report) VALUES (?, ?, ?, ?)')
        .run(accountId, deviceId, now, JSON.stringify(report));
      // Older reports of this device beyond the limit go: the table stays small.
      this.db
        .prepare(
          `DELETE FROM job_reports WHERE device_id = ? AND id NOT IN
             (SELECT id FROM job_reports WHERE device_id = ? ORDER BY received_at DESC, id DESC LIMIT ?)`,
        )
        .run(deviceId, deviceId, REPORTS_PER_DEVICE);
    })();
  }

  /**
   * Every computer's latest reports: the reports of all its sign-ins together (each unlock signs
   * in again, as a new device of the same computer), named as the computer is now.
   */
  list(accountId: number): JobReportList {
    const rows = this.db
      .prepare<
        [number],
        {
          device_id: string;
          name: string;
          computer_id: string | null;
          live: number;
          received_at: number;
          report: string;
        }
      >(
        `SELECT j.device_id, d.name, d.computer_id, j.received_at, j.report,
           (SELECT COUNT(*) FROM devices l WHERE l.account_id = j.account_id AND l.kind = 'device'
              AND l.revoked_at IS NULL AND (l.id = d.id OR l.computer_id = d.computer_id)) AS live
         FROM job_reports j JOIN devices d ON d.id = j.device_id
         WHERE j.account_id = ? ORDER BY j.received_at DESC, j.id DESC`,
      )
      .all(accountId);
    const computers = new Map<string, JobReportList['devices'][number]>();
    for (const row of rows) {
      const key = row.computer_id ?? `device:${row.device_id}`;
      let entry = computers.get(key);
      if (!entry) {
        entry = {
          deviceId: row.device_id,
          deviceName: row.name,
          computerId: row.computer_id,
          revoked: row.live === 0,
          reports: [],
        };
        computers.set(key, entry);
      }
      if (entry.reports.length >= REPORTS_PER_DEVICE) continue;
      const report = JSON.parse(row.report) as Omit<JobReport, 'receivedAt'>;
      entry.reports.push({ ...report, receivedAt: new Date(row.received_at).toISOString() });
    }
    return {
      devices: [...computers.values()].sort((a, b) => a.deviceName.localeCompare(b.deviceName)),
    };
  }

  /** The reports that named these backups (by id), with the reporting device's current name. */
  byBackupId(accountId: number): Map<string, ReportedBackup> {
    const rows = this.db
      .prepare<[number], { name: string; report: string }>(
        `SELECT d.name, j.report FROM job_reports j JOIN devices d ON d.id = j.device_id
         WHERE j.account_id = ? AND json_extract(j.report, '$.backupId') IS NOT NULL`,
      )
      .all(accountId);
    const found = new Map<string, ReportedBackup>();
    for (const row of rows) {
      const report = JSON.parse(row.report) as JobReportInput;
      if (report.backupId) {
        found.set(report.backupId, { item: report.item, startedAt: report.startedAt, deviceName: row.name });
      }
    }
    return found;
  }
}
