import { useEffect, useId, useState } from 'react';
import type {
  AutoLockMinutes,
  ChannelInput,
  IpcError,
  SecretStoreKind,
  SettingsView,
} from '../../src-shared/ipc-contract';
import { call, desktopApi, failure } from './api';
import { useDesktop } from './store';
import { accountErrorText, minutesLabel } from './wording';

// The contract's AUTO_LOCK_MINUTES, restated as types only: importing the value would pull zod (the
// contract's schemas) into the renderer bundle. The check below fails to compile if they differ.
const CHOICES = [1, 5, 15, 30, 60] as const satisfies readonly AutoLockMinutes[];
type Unlisted = Exclude<AutoLockMinutes, (typeof CHOICES)[number]>;
const _everyChoiceListed: [Unlisted] extends [never] ? true : never = true;

/** Where the device token is kept, as the settings report it. */
const SECRET_STORE_WORDS: Record<SecretStoreKind, string> = {
  keychain: 'in the OS keychain',
  'safe-storage': "encrypted with this computer's key (Electron safeStorage) in Strongroom's data folder",
  memory: 'in memory only, so it does not outlive this run of Strongroom',
};

/** Auto-lock: after how long without use the app locks, and whether sleep or screen lock locks it. */
export function AutoLockTab() {
  const guard = useDesktop((s) => s.guard);
  const deviceTokenProblem = useDesktop((s) =>
    s.screen.kind === 'unlocked' ? s.screen.account.deviceTokenProblem : null,
  );
  const idleId = useId();
  const idleHintId = useId();
  const suspendId = useId();
  const [settings, setSettings] = useState<SettingsView | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [saved, setSaved] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    const bridge = desktopApi();
    void (async () => {
      const result = guard(
        bridge ? await call(() => bridge.settingsGet()) : failure('internal', 'The app is not connected.'),
      );
      if (!live) return;
      if (result.ok) setSettings(result.value);
      else setError(result.error);
    })();
    return () => {
      live = false;
    };
  }, [guard]);

  const save = async (change: ChannelInput<'settings:set'>, what: string) => {
    const bridge = desktopApi();
    if (!bridge || !settings) return;
    const before = settings;
    // The control shows the choice at once; main's answer then confirms it or puts it back.
    setSettings({ ...settings, ...change } as SettingsView);
    setBusy(true);
    setError(null);
    setSaved('');
    const result = guard(await call(() => bridge.settingsSet(change)));
    setBusy(false);
    if (result.ok) {
      setSettings(result.value);
      setSaved(what);
    } else {
      setSettings(before);
      setError(result.error);
    }
  };

  if (!settings) {
    return error ? (
      <p className="error" role="alert">
        {accountErrorText(error)}
      </p>
    ) : (
      <p className="quiet">Loading the auto-lock settings…</p>
    );
  }

  return (
    <div className="form-grid">
      <div className="field">
        <label htmlFor={idleId}>Lock after inactivity</label>
        <select
          id={idleId}
          value={settings.autoLockMinutes}
          disabled={busy}
          aria-describedby={idleHintId}
          onChange={(e) => {
            const minutes = Number(e.target.value) as AutoLockMinutes;
            void save(
              { autoLockMinutes: minutes },
              `Strongroom now locks after ${minutesLabel(minutes)} without use.`,
            );
          }}
        >
          {CHOICES.map((m) => (
            <option key={m} value={m}>
              {minutesLabel(m)}
            </option>
          ))}
        </select>
        <p className="hint" id={idleHintId}>
          With no mouse or keyboard input in Strongroom for this long, it locks and shows the unlock screen.
        </p>
      </div>
      <div className="field checkbox">
        <input
          id={suspendId}
          type="checkbox"
          checked={settings.lockOnSuspend}
          disabled={busy}
          onChange={(e) => {
            const on = e.target.checked;
            void save(
              { lockOnSuspend: on },
              on
                ? 'Strongroom now locks when the computer sleeps or the screen locks.'
                : 'Strongroom no longer locks when the computer sleeps or the screen locks.',
            );
          }}
        />
        <label htmlFor={suspendId}>Lock when the computer sleeps or the screen locks</label>
      </div>
      {deviceTokenProblem ? (
        <p className="hint warning-text">
          The device token that lets backups run while Strongroom is locked could not be kept:{' '}
          {deviceTokenProblem} Backups says what to do.
        </p>
      ) : (
        <p className="hint">
          The device token that lets backups run while Strongroom is locked is kept{' '}
          {SECRET_STORE_WORDS[settings.secretStore]}.
        </p>
      )}
      <p className="saved" role="status">
        {saved}
      </p>
      {error && (
        <p className="error" role="alert">
          {accountErrorText(error)}
        </p>
      )}
    </div>
  );
}
