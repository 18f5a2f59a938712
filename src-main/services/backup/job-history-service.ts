/** What the History page asks for: the jobs, one job with its log, and cancelling one. */
import type { JobLogEntry, JobRecord } from '../../../src-shared/backup-jobs';
import { ServiceError } from '../service-error';
import type { JobHistoryStore, JobListQuery } from './job-history-store';
import type { JobQueue } from './job-queue';

export class JobHistoryService {
  constructor(
    private readonly queue: JobQueue,
    private readonly history: JobHistoryStore,
  ) {}

  cancel(jobId: string): null {
    if (!this.queue.cancel(jobId)) {
      if (!this.history.get(jobId)) throw new ServiceError('not_found', 'That job does not exist.');
      // Already ended: nothing to cancel, and nothing wrong.
    }
    return null;
  }

  list(query: JobListQuery): JobRecord[] {
    return this.history.list(query);
  }

  get(jobId: string): { job: JobRecord; log: JobLogEntry[] } {
    const job = this.history.get(jobId);
    if (!job) throw new ServiceError('not_found', 'That job is not in the history (any more).');
    return { job, log: this.history.log(jobId) };
  }
}
