import type { DesktopApi, Result } from '../../src-shared/ipc-contract';
import { useReauth } from './account/reauth-store';
import { call, desktopApi, failure } from './api';
import { useDesktop } from './store';

/**
 * One call to main from a page or a store: a missing bridge or a dropped connection becomes an
 * ordinary error, and a `locked` answer locks the window at once (the desktop store's guard). An
 * action that needs a fresh sign-in (`reauthentication_required`) asks for the password (and code)
 * once and is tried again, instead of sending the person to lock and unlock.
 */
export async function request<T>(run: (api: DesktopApi) => Promise<Result<T>>): Promise<Result<T>> {
  const bridge = desktopApi();
  if (!bridge) return useDesktop.getState().guard(failure('internal', 'The app is not connected.'));
  let result = await call(() => run(bridge));
  if (!result.ok && result.error.code === 'reauthentication_required') {
    if (await useReauth.getState().ask()) result = await call(() => run(bridge));
  }
  return useDesktop.getState().guard(result);
}
