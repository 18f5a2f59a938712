/**
 * Strongroom's life without a window: while any protected item has a schedule, a tray icon with a
 * status line ("Last backup: … Success", "Backing up… 42 %"), "Open Strongroom" and "Quit
 * Strongroom" (asking first when a job runs); and "Start Strongroom when I sign in to this
 * computer", on by default once a schedule exists (the preference's null), off when the person
 * turns it off.
 */
import type { JobProgress, JobRecord } from '../../../src-shared/backup-jobs';
import type { Dialogs, LoginItem, TrayIcon } from '../ports';
import type { BackupConfigStore } from './backup-config-store';
import type { JobHistoryStore } from './job-history-store';
import type { JobQueue } from './job-queue';

const STATUS_WORDS: Record<JobRecord['status'], string> = {
  waiting: 'waiting',
  running: 'running',
  success: 'Success',
  warning: 'Warning',
  failed: 'Failed',
  cancelled: 'Cancelled',
  skipped: 'Skipped',
};

export interface BackgroundPresenceOptions {
  config: BackupConfigStore;
  queue: JobQueue;
  history: Pick<JobHistoryStore, 'list'>;
  tray?: TrayIcon;
  loginItem?: LoginItem;
  dialogs: Pick<Dialogs, 'confirmQuit'>;
  /** "Open Strongroom": show the window (it shows the unlock screen when locked). */
  open(): void;
  /** Quit for real (after confirmation). */
  quit(): void;
  /** The tray's "Lock now". */
  lockNow(): void;
  formatTime?: (iso: string) => string;
}

export class BackgroundPresence {
  private lastStatus = '';
  private trayShown = false;
  /** The person (or the OS shutting down) has agreed to quit: before-quit lets it through. */
  private quitConfirmed = false;
  /** The last window closed with no schedule while a job ran: quit once the queue is empty. */
  private quitWhenDone = false;
  private asking: Promise<boolean> | null = null;

  constructor(private readonly o: BackgroundPresenceOptions) {}

  /** Is any protected item scheduled? Then closing the window keeps Strongroom running in the tray. */
  hasSchedule(): boolean {
    try {
      return this.o.config.get().items.some((i) => i.schedule.kind !== 'manual');
    } catch {
      return false;
    }
  }

  /** Call when the configuration or a job changed: shows or hides the tray, sets the login item. */
  refresh(): void {
    // After the job's own follow-up (retention, the catalogue) has had its chance to queue.
    if (this.quitWhenDone) queueMicrotask(() => this.quitIfDone());
    this.syncLoginItem();
    if (!this.o.tray) return;
    this.trayShown = this.hasSchedule();
    if (!this.trayShown) {
      this.lastStatus = '';
      this.o.tray.hide();
      return;
    }
    this.showStatus(null);
  }

  /** A running job's progress (a few a second): only the tray's status line changes, if shown. */
  progressChanged(progress: JobProgress): void {
    if (this.trayShown) this.showStatus(progress);
  }

  private showStatus(progress: JobProgress | null): void {
    const status = this.statusLine(progress);
    if (status === this.lastStatus) return;
    this.lastStatus = status;
    this.o.tray?.show({
      status,
      onOpen: () => this.o.open(),
      onLockNow: () => this.o.lockNow(),
      onQuit: () => void this.requestQuit(),
    });
  }

  statusLine(progress: JobProgress | null = null): string {
    const running = this.o.queue.active().find((j) => j.status === 'running');
    if (running) {
      const verb =
        running.kind === 'restore' ? 'Restoring' : running.kind === 'backup' ? 'Backing up' : 'Working';
      const p = progress && progress.jobId === running.id ? progress : this.o.queue.progress(running.id);
      if (p && p.bytesTotal > 0) return `${verb}… ${Math.floor((100 * p.bytesDone) / p.bytesTotal)} %`;
      return `${verb}…`;
    }
    const last = this.o.history
      .list({ kind: 'backup', limit: 20 })
      .find((j) => j.status !== 'waiting' && j.status !== 'running');
    if (!last) return 'No backup yet';
    const format = this.o.formatTime ?? ((iso: string) => new Date(iso).toLocaleString());
    return `Last backup: ${format(last.endedAt ?? last.queuedAt)}, ${STATUS_WORDS[last.status]}`;
  }

  /** "Quit Strongroom": asks first while a job runs; true when it quit. */
  requestQuit(): Promise<boolean> {
    // A second Quit while the question is open answers with the same question, not a second one.
    this.asking ??= this.askAndQuit().finally(() => (this.asking = null));
    return this.asking;
  }

  private async askAndQuit(): Promise<boolean> {
    if (this.o.queue.isRunning()) {
      const ok = await this.o.dialogs.confirmQuit(
        'A backup job is running. Quit Strongroom anyway? The job stops and can run again later.',
      );
      if (!ok) return false;
    }
    this.quitConfirmed = true;
    this.o.queue.cancelAll();
    this.o.quit();
    return true;
  }

  /**
   * Every other way of quitting (the app menu's Quit, Cmd+Q, the system asking the app to quit)
   * passes here from Electron's before-quit: true lets it go on; false while a job runs, and the
   * person is asked first (a confirmed answer quits through `quit`, which then passes).
   */
  beforeQuit(): boolean {
    if (this.quitConfirmed || !this.o.queue.isRunning()) return true;
    void this.requestQuit();
    return false;
  }

  /** The OS is shutting down or ending the session: never ask, never hold it up. */
  allowQuit(): void {
    this.quitConfirmed = true;
  }

  /**
   * The last window closed and nothing is scheduled: quit, but let a running or waiting job
   * (a "Back up now", a restore) finish first rather than stopping it behind the person's back.
   * Opening the window again (windowOpened) keeps Strongroom running.
   */
  lastWindowClosed(): void {
    if (this.hasSchedule()) return;
    if (this.o.queue.active().length === 0) {
      this.quitConfirmed = true;
      this.o.quit();
      return;
    }
    this.quitWhenDone = true;
  }

  private quitIfDone(): void {
    if (!this.quitWhenDone || this.o.queue.active().length > 0) return;
    this.quitWhenDone = false;
    this.quitConfirmed = true;
    this.o.quit();
  }

  windowOpened(): void {
    this.quitWhenDone = false;
  }

  private syncLoginItem(): void {
    const item = this.o.loginItem;
    if (!item) return;
    let wanted: boolean;
    try {
      wanted = this.o.config.get().preferences.startAtLogin ?? this.hasSchedule();
    } catch {
      return; // invalid configuration: change nothing
    }
    try {
      if (item.isEnabled() !== wanted) item.setEnabled(wanted);
    } catch {
      // the OS refused; the setting stays as the person sees it in the OS
    }
  }
}
