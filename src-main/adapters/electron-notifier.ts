/** The Notifier port on Electron's Notification (silently nothing where the system has none). */
import type { Notification as ElectronNotification, NotificationConstructorOptions } from 'electron';
import type { Notifier } from '../services/ports';

export interface NotificationClass {
  new (options: NotificationConstructorOptions): Pick<ElectronNotification, 'show'>;
  isSupported(): boolean;
}

export class ElectronNotifier implements Notifier {
  constructor(private readonly Notification: NotificationClass) {}

  notify({ title, body }: { title: string; body: string }): void {
    if (!this.Notification.isSupported()) return;
    new this.Notification({ title, body, silent: false }).show();
  }
}
