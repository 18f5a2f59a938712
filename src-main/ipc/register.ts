/**
 * The one file that touches ipcMain. Each channel of the contract gets one handler that passes the
 * call through the dispatch gate (dispatch.ts) after checking who sent it: only our window's main
 * frame, showing our own page, may call. Anything else (a subframe, another window, a page that
 * navigated away) is dropped: it answers null and no service runs.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents, WebFrameMain } from 'electron';
import { channels, type Channel } from '../../src-shared/ipc-contract';
import type { Dispatch } from './dispatch';

export interface TrustedRenderer {
  /** The window's webContents, or null when there is no window. */
  webContents(): WebContents | null;
  /** Is this URL our own page (file:// of our dist, or the dev server's origin)? */
  isOwnUrl(url: string): boolean;
}

export type IpcMainLike = Pick<IpcMain, 'handle' | 'removeHandler'>;

export function isTrustedSender(event: IpcMainInvokeEvent, trusted: TrustedRenderer): boolean {
  const contents = trusted.webContents();
  if (!contents || event.sender !== contents) return false;
  const frame = event.senderFrame;
  // A frame that is gone or is not the top frame (an iframe the page embeds) is never trusted.
  if (!frame || !isSameFrame(frame, contents.mainFrame)) return false;
  return trusted.isOwnUrl(frame.url);
}

type FrameIds = Pick<WebFrameMain, 'processId' | 'routingId' | 'parent'>;

/**
 * Electron documents no promise that event.senderFrame and webContents.mainFrame are the same
 * JavaScript object, so a frame is also recognised by what identifies it: a top frame (no parent)
 * in the same renderer process with the same routing id.
 */
function isSameFrame(frame: FrameIds, mainFrame: FrameIds): boolean {
  if (frame === mainFrame) return true;
  return (
    frame.parent === null &&
    Number.isInteger(frame.processId) &&
    Number.isInteger(frame.routingId) &&
    frame.processId === mainFrame.processId &&
    frame.routingId === mainFrame.routingId
  );
}

/** Registers every channel; returns a function that removes them again. */
export function registerIpc(ipcMain: IpcMainLike, dispatch: Dispatch, trusted: TrustedRenderer): () => void {
  const names = Object.keys(channels) as Channel[];
  for (const channel of names) {
    ipcMain.handle(channel, (event, input: unknown) =>
      dispatch(channel, input, isTrustedSender(event, trusted)),
    );
  }
  return () => {
    for (const channel of names) ipcMain.removeHandler(channel);
  };
}

/** The own-origin check: our bundled page from disk, or the dev server when one is configured. */
export function ownUrlChecker(options: {
  indexHtmlUrl: string;
  devServerUrl?: string;
}): (url: string) => boolean {
  const index = new URL(options.indexHtmlUrl);
  const devOrigin = options.devServerUrl ? new URL(options.devServerUrl).origin : null;
  return (raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return false;
    }
    if (url.protocol === 'file:') return index.protocol === 'file:' && url.pathname === index.pathname;
    return devOrigin !== null && url.origin === devOrigin;
  };
}
