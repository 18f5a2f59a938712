import { homedir } from 'node:os';
import { join } from 'node:path';

const APP_DIR = 'strongroom-server';

/**
 * The user's data directory for the server, by platform convention:
 * Linux/BSD: $XDG_DATA_HOME/strongroom-server, else ~/.local/share/strongroom-server;
 * macOS: ~/Library/Application Support/strongroom-server; Windows: %APPDATA%\strongroom-server.
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_DIR);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_DIR);
  const xdg = env.XDG_DATA_HOME;
  // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.local', 'share'), APP_DIR);
}
