/** The Dialogs port on Electron's dialog and shell modules: native pickers, the quit question, "Show in folder". */
import fs from 'node:fs';
import type { BrowserWindow, Dialog, OpenDialogOptions, Shell } from 'electron';
import type { Dialogs } from '../services/ports';

export class ElectronDialogs implements Dialogs {
  constructor(
    private readonly dialog: Pick<Dialog, 'showOpenDialog' | 'showSaveDialog' | 'showMessageBox'>,
    private readonly shell: Pick<Shell, 'showItemInFolder'>,
    private readonly window: () => BrowserWindow | null,
  ) {}

  async choosePath(
    options: Parameters<Dialogs['choosePath']>[0],
  ): Promise<{ supported: boolean; paths: string[] }> {
    const win = this.window();
    if (options.purpose === 'save-file') {
      const base = {
        title: options.title,
        ...(options.defaultPath ? { defaultPath: options.defaultPath } : {}),
      };
      const result = win
        ? await this.dialog.showSaveDialog(win, base)
        : await this.dialog.showSaveDialog(base);
      return { supported: true, paths: result.canceled || !result.filePath ? [] : [result.filePath] };
    }
    const open: OpenDialogOptions = {
      title: options.title,
      ...(options.defaultPath ? { defaultPath: options.defaultPath } : {}),
      properties:
        options.purpose === 'folder'
          ? ['openDirectory', 'createDirectory']
          : ['openFile', 'openDirectory', 'multiSelections'],
    };
    const result = win ? await this.dialog.showOpenDialog(win, open) : await this.dialog.showOpenDialog(open);
    return { supported: true, paths: result.canceled ? [] : result.filePaths };
  }

  async confirmQuit(message: string): Promise<boolean> {
    const { response } = await this.dialog.showMessageBox({
      type: 'question',
      buttons: ['Quit Strongroom', 'Keep running'],
      defaultId: 1,
      cancelId: 1,
      title: 'Quit Strongroom?',
      message,
    });
    return response === 0;
  }

  async showInFolder(path: string): Promise<boolean> {
    if (!fs.existsSync(path)) return false;
    this.shell.showItemInFolder(path);
    return true;
  }
}
