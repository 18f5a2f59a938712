/**
 * The TrayIcon port on Electron's Tray: a padlock icon whose menu shows the status line (not
 * clickable), "Open Strongroom", "Lock now" and "Quit Strongroom". The icon is drawn here (pngjs), so the
 * packaged app needs no extra resource file.
 */
import type { Menu as ElectronMenu, NativeImage, Tray as ElectronTray } from 'electron';
import { PNG } from 'pngjs';
import type { TrayIcon, TrayMenu } from '../services/ports';

type TrayLike = Pick<ElectronTray, 'setToolTip' | 'setContextMenu' | 'destroy' | 'on'>;

export interface ElectronTrayDeps {
  createTray(image: NativeImage): TrayLike;
  image(png: Buffer): NativeImage;
  buildMenu: (typeof ElectronMenu)['buildFromTemplate'];
}

export class ElectronTrayIcon implements TrayIcon {
  private tray: TrayLike | null = null;

  constructor(private readonly deps: ElectronTrayDeps) {}

  show(menu: TrayMenu): void {
    if (!this.tray) {
      this.tray = this.deps.createTray(this.deps.image(padlockPng(32)));
      // A click on the icon (Windows, most Linux desktops) opens the app as the menu item does.
      this.tray.on('click', () => this.onOpen?.());
    }
    this.onOpen = menu.onOpen;
    this.tray.setToolTip(`Strongroom: ${menu.status}`);
    this.tray.setContextMenu(
      this.deps.buildMenu([
        { label: menu.status, enabled: false },
        { type: 'separator' },
        { label: 'Open Strongroom', click: () => menu.onOpen() },
        { label: 'Lock now', click: () => menu.onLockNow() },
        { label: 'Quit Strongroom', click: () => menu.onQuit() },
      ]),
    );
  }

  hide(): void {
    this.tray?.destroy();
    this.tray = null;
  }

  private onOpen: (() => void) | null = null;
}

/** A white padlock on a dark blue rounded square (as assets/icon.png), `size` pixels wide. */
export function padlockPng(size: number): Buffer {
  const png = new PNG({ width: size, height: size });
  const s = size / 512;
  const inRoundRect = (x: number, y: number, x0: number, y0: number, x1: number, y1: number, r: number) => {
    const cx = Math.min(Math.max(x, x0 + r), x1 - r);
    const cy = Math.min(Math.max(y, y0 + r), y1 - r);
    return x >= x0 && x <= x1 && y >= y0 && y <= y1 && (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
  };
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const x = (px + 0.5) / s;
      const y = (py + 0.5) / s;
      let rgba = [0, 0, 0, 0];
      if (inRoundRect(x, y, 16, 16, 496, 496, 96)) rgba = [28, 56, 110, 255];
      const d = Math.hypot(x - 256, y - 230);
      if (y <= 230 && d >= 70 && d <= 104) rgba = [255, 255, 255, 255];
      if (y > 230 && y < 260 && ((x >= 152 && x <= 186) || (x >= 326 && x <= 360)))
        rgba = [255, 255, 255, 255];
      if (inRoundRect(x, y, 128, 250, 384, 430, 28)) rgba = [255, 255, 255, 255];
      png.data.set(rgba, (py * size + px) * 4);
    }
  }
  return PNG.sync.write(png);
}
