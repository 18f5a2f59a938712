/// <reference types="vite/client" />
import type { DesktopApi } from '../../src-shared/ipc-contract';

declare global {
  interface Window {
    /** Exposed by the preload (Electron) or by the harness's bridge script; absent anywhere else. */
    api: DesktopApi;
  }
}

export {};
