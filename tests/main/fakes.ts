/** Small doubles for the main-process services' ports (the real adapters have their own tests). */
import type { LockReason } from '../../src-shared/ipc-contract';
import type {
  AppShell,
  Clock,
  PowerEventName,
  PowerEvents,
  SecretStore,
  SettingsStore,
  StoreKey,
} from '../../src-main/services/ports';

/** A clock whose time moves only when the test says so; timers fire in order as it passes them. */
export class ManualClock implements Clock {
  private time = Date.parse('2026-11-28T09:00:00Z');
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  pending(): number {
    return this.timers.size;
  }
  /** The clock changes without timers firing in between: a sleep, or the system clock set (ms < 0: back). */
  jump(ms: number): void {
    this.time += ms;
  }
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at); // an overdue timer (after a jump) fires now
      due[1].fn();
    }
    this.time = end;
  }
}

export class MemorySecretStore implements SecretStore {
  readonly entries = new Map<string, string>();
  failing = false;
  async get(account: string) {
    if (this.failing) throw new Error('no keychain');
    return this.entries.get(account) ?? null;
  }
  async set(account: string, secret: string) {
    if (this.failing) throw new Error('no keychain');
    this.entries.set(account, secret);
  }
  async delete(account: string) {
    return this.entries.delete(account);
  }
}

export class MemorySettingsStore implements SettingsStore {
  readonly data = new Map<StoreKey, unknown>();
  read(key: StoreKey) {
    return this.data.get(key);
  }
  write(key: StoreKey, value: unknown) {
    this.data.set(key, structuredClone(value));
  }
}

export class RecordingShell implements AppShell {
  readonly locked: LockReason[] = [];
  closes = 0;
  showLocked(reason: LockReason) {
    this.locked.push(reason);
  }
  close() {
    this.closes++;
  }
}

export class FakePowerEvents implements PowerEvents {
  private readonly listeners = new Map<string, Set<() => void>>();
  on(event: PowerEventName, listener: () => void) {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener);
    this.listeners.set(event, set);
    return () => set.delete(listener);
  }
  emit(event: PowerEventName) {
    for (const l of this.listeners.get(event) ?? []) l();
  }
}
