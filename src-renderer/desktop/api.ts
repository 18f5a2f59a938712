import type { DesktopApi, IpcError, Result } from '../../src-shared/ipc-contract';

/**
 * The bridge to main: `window.api` from the preload (Electron) or from the harness's bridge script.
 * Null when the page was opened some other way, so the app can say so instead of crashing.
 */
export function desktopApi(): DesktopApi | null {
  const api = (window as Partial<Window>).api;
  return api && typeof api === 'object' ? api : null;
}

/** A bridge call that throws (a dropped connection, a bug in a bridge) becomes an ordinary error Result. */
export async function call<T>(run: () => Promise<Result<T>>): Promise<Result<T>> {
  try {
    const result = await run();
    if (result && typeof result === 'object' && 'ok' in result) return result;
    return failure('internal', 'The app answered something unexpected. Try again.');
  } catch {
    return failure('internal', 'The connection to the app was interrupted. Try again.');
  }
}

export function failure(code: IpcError['code'], message: string): { ok: false; error: IpcError } {
  return { ok: false, error: { code, message } };
}
