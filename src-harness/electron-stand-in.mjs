// What `import electron from 'electron'` gives inside the harness: nothing. Only electron-store
// imports electron here, and with an absolute `cwd` it needs neither `app` nor `ipcMain`.
// (The real package cannot be loaded in plain Node: it would try to download Electron.)
export default {};
export const app = undefined;
export const ipcMain = undefined;
export const shell = undefined;
