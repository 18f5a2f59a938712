/**
 * What a person's phone does during enrolment, done independently of the app: read the QR image
 * (jsqr over the PNG) and compute codes with Debian's oathtool.
 */
import { execFileSync } from 'node:child_process';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';

/** The otpauth:// URI inside a data:image/png;base64 QR image. */
export function decodeQrDataUrl(dataUrl: string): string {
  const match = /^data:image\/png;base64,(.+)$/.exec(dataUrl);
  if (!match) throw new Error(`not a PNG data URL: ${dataUrl.slice(0, 40)}…`);
  const png = PNG.sync.read(Buffer.from(match[1]!, 'base64'));
  const found = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (!found) throw new Error('no QR code found in the image');
  return found.data;
}

/** The six-digit TOTP code of `secret` at `atMs` (default now), from oathtool. */
export function oathtoolCode(secretBase32: string, atMs = Date.now()): string {
  const at = `@${Math.floor(atMs / 1000)}`;
  return execFileSync('oathtool', ['--totp', '-b', '--now', at, secretBase32], { encoding: 'utf8' }).trim();
}
