// Draws assets/icon.png (512x512): a white padlock on a dark blue rounded square. No downloads,
// no image tools: `node assets/make-icon.mjs` with pngjs from the project's dependencies.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

const size = 512;
const png = new PNG({ width: size, height: size });
const inRoundRect = (x, y, x0, y0, x1, y1, r) => {
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return x >= x0 && x <= x1 && y >= y0 && y <= y1 && (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
for (let y = 0; y < size; y++) {
  for (let x = 0; x < size; x++) {
    let rgba = [0, 0, 0, 0];
    if (inRoundRect(x, y, 16, 16, 496, 496, 96)) rgba = [28, 56, 110, 255];
    // Shackle: a ring's upper half.
    const d = Math.hypot(x - 256, y - 230);
    if (y <= 230 && d >= 70 && d <= 104) rgba = [255, 255, 255, 255];
    if (y > 230 && y < 260 && ((x >= 152 && x <= 186) || (x >= 326 && x <= 360))) rgba = [255, 255, 255, 255];
    // Body, with a keyhole.
    if (inRoundRect(x, y, 128, 250, 384, 430, 28)) {
      const keyhole = Math.hypot(x - 256, y - 320) <= 24 || (x >= 246 && x <= 266 && y >= 320 && y <= 380);
      rgba = keyhole ? [28, 56, 110, 255] : [255, 255, 255, 255];
    }
    png.data.set(rgba, (y * size + x) * 4);
  }
}
fs.writeFileSync(fileURLToPath(new URL('./icon.png', import.meta.url)), PNG.sync.write(png));
console.log('wrote assets/icon.png');
