/** The PowerEvents adapter on a stand-in for Electron's powerMonitor. */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ElectronPowerEvents } from '../../src-main/adapters/electron-shell';

class FakePowerMonitor extends EventEmitter {
  idleState: 'active' | 'idle' | 'locked' | 'unknown' = 'active';
  getSystemIdleState() {
    return this.idleState;
  }
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('ElectronPowerEvents', () => {
  it('passes suspend and lock-screen through where Electron emits them (macOS, Windows)', () => {
    const monitor = new FakePowerMonitor();
    const events = new ElectronPowerEvents(monitor as never, 'darwin', 1000);
    const seen: string[] = [];
    const offSuspend = events.on('suspend', () => seen.push('suspend'));
    const offLock = events.on('lock-screen', () => seen.push('lock-screen'));
    monitor.emit('suspend');
    monitor.emit('lock-screen');
    offSuspend();
    offLock();
    monitor.emit('suspend');
    monitor.emit('lock-screen');
    expect(seen).toEqual(['suspend', 'lock-screen']);
  });

  it('passes resume through on every platform (missed backups are caught up after it)', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const monitor = new FakePowerMonitor();
      const events = new ElectronPowerEvents(monitor as never, platform, 1000);
      let resumes = 0;
      const off = events.on('resume', () => resumes++);
      monitor.emit('resume');
      off();
      monitor.emit('resume');
      expect(resumes, platform).toBe(1);
    }
  });

  it('on Linux, which has no lock-screen event, notices the screen locking by polling, once per lock', () => {
    const monitor = new FakePowerMonitor();
    const events = new ElectronPowerEvents(monitor as never, 'linux', 1000);
    let locks = 0;
    const off = events.on('lock-screen', () => locks++);
    vi.advanceTimersByTime(3000);
    expect(locks).toBe(0);
    monitor.idleState = 'locked';
    vi.advanceTimersByTime(3000);
    expect(locks).toBe(1); // still locked: not again
    monitor.idleState = 'active';
    vi.advanceTimersByTime(1000);
    monitor.idleState = 'locked';
    vi.advanceTimersByTime(1000);
    expect(locks).toBe(2);
    off();
    monitor.idleState = 'active';
    vi.advanceTimersByTime(1000);
    monitor.idleState = 'locked';
    vi.advanceTimersByTime(5000);
    expect(locks).toBe(2);
  });

  it('on Linux, suspend still comes from the event', () => {
    const monitor = new FakePowerMonitor();
    const events = new ElectronPowerEvents(monitor as never, 'linux', 1000);
    let suspends = 0;
    events.on('suspend', () => suspends++);
    monitor.emit('suspend');
    expect(suspends).toBe(1);
  });
});
