/**
 * Stand-in for the `electron` module under vitest: only what electron-store touches.
 * Electron's own modules cannot exist in plain Node; everything else in tests is real.
 */
import os from 'node:os';
import path from 'node:path';

const userData = process.env.STRONGROOM_TEST_USER_DATA ?? path.join(os.tmpdir(), 'strongroom-test-userdata');

export const app = {
  getPath: (name: string) => (name === 'userData' ? userData : os.tmpdir()),
  getVersion: () => '0.0.0-test',
  getName: () => 'Strongroom',
  on: () => undefined,
  once: () => undefined,
};
export const ipcMain = { on: () => undefined, handle: () => undefined };
export const shell = {};
export default { app, ipcMain, shell };
