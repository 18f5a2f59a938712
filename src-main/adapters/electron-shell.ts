/** The services' AppShell and PowerEvents ports on Electron's window and powerMonitor. */
import type { BrowserWindow, PowerMonitor } from 'electron';
import { events, type LockReason } from '../../src-shared/ipc-contract';
import type { AppShell, PowerEvents } from '../services/ports';

export class ElectronAppShell implements AppShell {
  constructor(private readonly window: () => BrowserWindow | null) {}

  showLocked(reason: LockReason): void {
    const win = this.window();
    if (!win || win.isDestroyed()) return;
    win.webContents.send(events.onLocked, { reason });
    // A fresh page: nothing of the account stays in the renderer's memory.
    win.webContents.reloadIgnoringCache();
  }

  close(): void {
    const win = this.window();
    // close() runs the window's close handler (which writes the lock state), then quits.
    if (win && !win.isDestroyed()) win.close();
  }
}

export class ElectronPowerEvents implements PowerEvents {
  constructor(private readonly powerMonitor: PowerMonitor) {}

  on(event: 'suspend' | 'lock-screen', listener: () => void): () => void {
    this.powerMonitor.on(event as 'suspend', listener);
    return () => {
      this.powerMonitor.removeListener(event as 'suspend', listener);
    };
  }
}
