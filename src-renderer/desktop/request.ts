import type { DesktopApi, Result } from '../../src-shared/ipc-contract';
import { call, desktopApi, failure } from './api';
import { useDesktop } from './store';

/**
 * One call to main from a page or a store: a missing bridge or a dropped connection becomes an
 * ordinary error, and a `locked` answer locks the window at once (the desktop store's guard).
 */
export async function request<T>(run: (api: DesktopApi) => Promise<Result<T>>): Promise<Result<T>> {
  const bridge = desktopApi();
  const result = bridge ? await call(() => run(bridge)) : failure('internal', 'The app is not connected.');
  return useDesktop.getState().guard(result);
}
