/**
 * The app's settings (auto-lock minutes, lock on suspend) and what the unlock screen remembers
 * (server, username). Whatever the store holds is validated field by field: a hand-edited or
 * corrupt value falls back to its default instead of breaking the app.
 */
import { z } from 'zod';
import { AUTO_LOCK_MINUTES, type AppSettings, type AutoLockMinutes } from '../../src-shared/ipc-contract';
import type { RememberedSignIn, SettingsStore } from './ports';

export const DEFAULT_SETTINGS: AppSettings = {
  autoLockMinutes: 15,
  lockOnSuspend: true,
  rememberComputer: true,
};

const autoLockMinutes = z
  .number()
  .refine((n): n is AutoLockMinutes => (AUTO_LOCK_MINUTES as readonly number[]).includes(n));
const storedSettings = z.object({
  autoLockMinutes: autoLockMinutes.catch(DEFAULT_SETTINGS.autoLockMinutes),
  lockOnSuspend: z.boolean().catch(DEFAULT_SETTINGS.lockOnSuspend),
  rememberComputer: z.boolean().catch(DEFAULT_SETTINGS.rememberComputer),
});
const storedRemembered = z.object({
  serverUrl: z
    .string()
    .refine((u) => /^https?:\/\/[^\s]+$/.test(u) && URL.canParse(u))
    .nullable()
    .catch(null),
  username: z.string().min(1).max(64).nullable().catch(null),
});

export class SettingsService {
  private readonly listeners = new Set<(settings: AppSettings) => void>();

  constructor(private readonly store: SettingsStore) {}

  get(): AppSettings {
    const raw = this.store.read('settings');
    const parsed = storedSettings.safeParse(typeof raw === 'object' && raw !== null ? raw : {});
    return parsed.success ? (parsed.data as AppSettings) : { ...DEFAULT_SETTINGS };
  }

  set(patch: Partial<AppSettings>): AppSettings {
    const next: AppSettings = { ...this.get() };
    if (patch.autoLockMinutes !== undefined) next.autoLockMinutes = patch.autoLockMinutes;
    if (patch.lockOnSuspend !== undefined) next.lockOnSuspend = patch.lockOnSuspend;
    if (patch.rememberComputer !== undefined) next.rememberComputer = patch.rememberComputer;
    this.store.write('settings', next);
    for (const listener of this.listeners) listener(next);
    return next;
  }

  onChange(listener: (settings: AppSettings) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  remembered(): RememberedSignIn {
    const raw = this.store.read('remembered');
    const parsed = storedRemembered.safeParse(typeof raw === 'object' && raw !== null ? raw : {});
    return parsed.success ? parsed.data : { serverUrl: null, username: null };
  }

  remember(value: RememberedSignIn): void {
    this.store.write('remembered', value);
  }
}
