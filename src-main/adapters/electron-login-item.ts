/**
 * The LoginItem port on Electron's login item settings: "Start Strongroom when I sign in to this
 * computer". Started that way, the app gets HIDDEN_ARG and stays in the tray, locked.
 */
import type { App } from 'electron';
import type { LoginItem } from '../services/ports';

export const HIDDEN_ARG = '--hidden';

type AppLike = Pick<App, 'getLoginItemSettings' | 'setLoginItemSettings'>;

export class ElectronLoginItem implements LoginItem {
  constructor(private readonly app: AppLike) {}

  isEnabled(): boolean {
    return this.app.getLoginItemSettings({ args: [HIDDEN_ARG] }).openAtLogin;
  }

  setEnabled(enabled: boolean): void {
    this.app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_ARG] });
  }
}

/** Was this launch a start at sign-in (then no window opens)? The login item passes HIDDEN_ARG. */
export function startedHidden(argv: readonly string[]): boolean {
  return argv.includes(HIDDEN_ARG);
}
