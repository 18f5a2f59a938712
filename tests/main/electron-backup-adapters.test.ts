/** The thin Electron adapters of issue 7 on stand-ins for Electron's modules. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { ElectronDialogs } from '../../src-main/adapters/electron-dialogs';
import { ElectronLoginItem, HIDDEN_ARG, startedHidden } from '../../src-main/adapters/electron-login-item';
import { ElectronNotifier } from '../../src-main/adapters/electron-notifier';
import { ElectronPowerSource, ElectronRendererEvents } from '../../src-main/adapters/electron-shell';
import { ElectronTrayIcon, padlockPng } from '../../src-main/adapters/electron-tray';

describe('ElectronTrayIcon', () => {
  it('creates one tray with the status line, Open, Lock now and Quit; hides by destroying it', () => {
    const made: { menu: unknown[]; tooltip: string; destroyed: boolean; click?: () => void }[] = [];
    const icon = new ElectronTrayIcon({
      createTray: () => {
        const t = {
          menu: [] as unknown[],
          tooltip: '',
          destroyed: false,
          click: undefined as (() => void) | undefined,
          setToolTip(s: string) {
            t.tooltip = s;
          },
          setContextMenu(m: unknown) {
            t.menu = m as unknown[];
          },
          destroy() {
            t.destroyed = true;
          },
          on(_e: string, l: () => void) {
            t.click = l;
            return t;
          },
        };
        made.push(t);
        return t as never;
      },
      image: (png) => ({ png }) as never,
      buildMenu: (template) => template as never,
    });
    let opened = 0;
    let quit = 0;
    let locked = 0;
    const handlers = { onOpen: () => opened++, onLockNow: () => locked++, onQuit: () => quit++ };
    icon.show({ status: 'Backing up… 42 %', ...handlers });
    icon.show({ status: 'Last backup: 02:00, Success', ...handlers });
    expect(made).toHaveLength(1);
    const menu = made[0]!.menu as { label?: string; enabled?: boolean; click?: () => void }[];
    expect(menu.map((m) => m.label)).toEqual([
      'Last backup: 02:00, Success',
      undefined,
      'Open Strongroom',
      'Lock now',
      'Quit Strongroom',
    ]);
    expect(menu[0]!.enabled).toBe(false);
    menu[2]!.click!();
    made[0]!.click!();
    menu[3]!.click!();
    menu[4]!.click!();
    expect([opened, locked, quit]).toEqual([2, 1, 1]);
    icon.hide();
    expect(made[0]!.destroyed).toBe(true);
  });

  it('draws a valid square PNG icon', () => {
    const png = PNG.sync.read(padlockPng(32));
    expect([png.width, png.height]).toEqual([32, 32]);
  });
});

describe('ElectronNotifier', () => {
  it('shows a notification where the system supports them, nothing elsewhere', () => {
    const shown: unknown[] = [];
    let supported = true;
    class N {
      static isSupported = () => supported;
      constructor(private readonly o: unknown) {}
      show() {
        shown.push(this.o);
      }
    }
    const notifier = new ElectronNotifier(N as never);
    notifier.notify({ title: 'Backup failed', body: 'disk full' });
    supported = false;
    notifier.notify({ title: 'x', body: 'y' });
    expect(shown).toEqual([{ title: 'Backup failed', body: 'disk full', silent: false }]);
  });
});

describe('ElectronLoginItem', () => {
  it('registers the app to start at sign-in with the hidden argument', () => {
    let settings: { openAtLogin: boolean; args?: string[] } = { openAtLogin: false };
    const item = new ElectronLoginItem({
      getLoginItemSettings: () => settings as never,
      setLoginItemSettings: (s: typeof settings) => (settings = s),
    } as never);
    item.setEnabled(true);
    expect(settings).toEqual({ openAtLogin: true, args: [HIDDEN_ARG] });
    expect(item.isEnabled()).toBe(true);
    expect(startedHidden(['/opt/Strongroom/strongroom', HIDDEN_ARG])).toBe(true);
    expect(startedHidden(['/opt/Strongroom/strongroom'])).toBe(false);
  });
});

describe('ElectronDialogs', () => {
  it('asks for a folder, files and folders, or a file to save; answers the quit question', async () => {
    const calls: unknown[] = [];
    const dialogs = new ElectronDialogs(
      {
        showOpenDialog: async (...a: unknown[]) => {
          calls.push(a.at(-1));
          return { canceled: false, filePaths: ['/home/me/Documents'] };
        },
        showSaveDialog: async () => ({ canceled: false, filePath: '/home/me/kit.txt' }),
        showMessageBox: async () => ({ response: 0, checkboxChecked: false }),
      } as never,
      { showItemInFolder: () => undefined },
      () => null,
    );
    await expect(dialogs.choosePath({ purpose: 'folder', title: 'Choose' })).resolves.toEqual({
      supported: true,
      paths: ['/home/me/Documents'],
    });
    expect(calls[0]).toMatchObject({ properties: ['openDirectory', 'createDirectory'] });
    await dialogs.choosePath({ purpose: 'file-or-folder', title: 'Choose' });
    expect(calls[1]).toMatchObject({ properties: ['openFile', 'openDirectory', 'multiSelections'] });
    await expect(dialogs.choosePath({ purpose: 'save-file', title: 'Save' })).resolves.toEqual({
      supported: true,
      paths: ['/home/me/kit.txt'],
    });
    await expect(dialogs.confirmQuit('A job runs')).resolves.toBe(true);
  });

  it('shows an existing file in its folder, and says false for a missing one', async () => {
    const shown: string[] = [];
    const dialogs = new ElectronDialogs({} as never, { showItemInFolder: (p) => shown.push(p) }, () => null);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-show-')), 'a.txt');
    fs.writeFileSync(file, 'x');
    await expect(dialogs.showInFolder(file)).resolves.toBe(true);
    await expect(dialogs.showInFolder(file + '.missing')).resolves.toBe(false);
    expect(shown).toEqual([file]);
  });
});

describe('ElectronRendererEvents and ElectronPowerSource', () => {
  it('sends events to a live window only, on the contract channel', () => {
    const sent: unknown[][] = [];
    let destroyed = false;
    const win = { isDestroyed: () => destroyed, webContents: { send: (...a: unknown[]) => sent.push(a) } };
    const events = new ElectronRendererEvents(() => win as never);
    const progress = {
      jobId: 'job-1',
      phase: 'backup' as const,
      filesDone: 0,
      filesTotal: 0,
      bytesDone: 0,
      bytesTotal: 0,
      currentFile: null,
      rate: 0,
      eta: null,
    };
    events.send('onJobProgress', progress);
    destroyed = true;
    events.send('onJobProgress', progress);
    expect(sent).toEqual([['event:job-progress', progress]]);
    expect(new ElectronPowerSource({ isOnBatteryPower: () => true }).onBattery()).toBe(true);
  });
});
