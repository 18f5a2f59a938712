/** The services' AppShell, RendererEvents, PowerEvents and PowerSource ports on Electron's window and powerMonitor. */
import type { BrowserWindow, PowerMonitor } from 'electron';
import { events, type EventName, type EventPayloads, type LockReason } from '../../src-shared/ipc-contract';
import type { AppShell, PowerEventName, PowerEvents, PowerSource, RendererEvents } from '../services/ports';

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

/** Events to the window's page (the caller sends only while unlocked). No window: nothing to tell. */
export class ElectronRendererEvents implements RendererEvents {
  constructor(private readonly window: () => BrowserWindow | null) {}

  send<E extends EventName>(name: E, payload: EventPayloads[E]): void {
    const win = this.window();
    if (win && !win.isDestroyed()) win.webContents.send(events[name], payload);
  }
}

export class ElectronPowerSource implements PowerSource {
  constructor(private readonly powerMonitor: Pick<PowerMonitor, 'isOnBatteryPower'>) {}

  onBattery(): boolean {
    return this.powerMonitor.isOnBatteryPower();
  }
}

/** How often Linux is asked whether the screen is locked (it has no lock-screen event). */
export const SCREEN_LOCK_POLL_MS = 5_000;

type PowerMonitorLike = Pick<PowerMonitor, 'on' | 'removeListener' | 'getSystemIdleState'>;

export class ElectronPowerEvents implements PowerEvents {
  constructor(
    private readonly powerMonitor: PowerMonitorLike,
    private readonly platform: NodeJS.Platform = process.platform,
    private readonly pollMs = SCREEN_LOCK_POLL_MS,
  ) {}

  on(event: PowerEventName, listener: () => void): () => void {
    // Electron emits 'lock-screen' on macOS and Windows only; on Linux the idle state says
    // "locked" where the desktop reports it, so it is polled and each change to locked counts.
    if (event === 'lock-screen' && this.platform === 'linux') return this.pollScreenLock(listener);
    this.powerMonitor.on(event as 'suspend', listener);
    return () => {
      this.powerMonitor.removeListener(event as 'suspend', listener);
    };
  }

  private pollScreenLock(listener: () => void): () => void {
    let wasLocked = false;
    const timer = setInterval(() => {
      let locked = false;
      try {
        locked = this.powerMonitor.getSystemIdleState(1) === 'locked';
      } catch {
        // No answer from the desktop: nothing to act on.
      }
      if (locked && !wasLocked) listener();
      wasLocked = locked;
    }, this.pollMs);
    timer.unref?.();
    return () => clearInterval(timer);
  }
}
