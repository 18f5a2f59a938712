import type { JobReport, JobReportInput, JobReportList } from '../../src-shared/http-api';
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

  list(accountId: number): JobReportList {
    const rows = this.db
      .prepare<
        [number],
        { device_id: string; name: string; revoked_at: number | null; received_at: number; report: string }
      >(
        `SELECT j.device_id, d.name, d.revoked_at, j.received_at, j.report FROM job_reports j
         JOIN devices d ON d.id = j.device_id WHERE j.account_id = ? ORDER BY d.name, j.received_at DESC, j.id DESC`,
      )
      .all(accountId);
    const devices = new Map<string, JobReportList['devices'][number]>();
    for (const row of rows) {
      let entry = devices.get(row.device_id);
      if (!entry) {
        entry = {
          deviceId: row.device_id,
          deviceName: row.name,
          revoked: row.revoked_at !== null,
          reports: [],
        };
        devices.set(row.device_id, entry);
      }
      const report = JSON.parse(row.report) as Omit<JobReport, 'receivedAt'>;
      entry.reports.push({ ...report, receivedAt: new Date(row.received_at).toISOString() });
    }
    return { devices: [...devices.values()] };
  }
}
