import { chmodSync, mkdirSync, statSync } from 'node:fs';
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

/**
 * Creates the data directory (0700) or, when it exists already, makes sure it is its owner's
 * alone: it holds the password hashes and the server key. A directory made beforehand with looser
 * permissions (mkdir under umask 022 gives 0755) is tightened; if that is not possible (another
 * user's directory), the server refuses to start rather than run with readable secrets.
 */
export function prepareDataDir(dir: string, platform: NodeJS.Platform = process.platform): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (platform === 'win32') return; // permissions there are ACLs, inherited from the profile
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  try {
    chmodSync(dir, 0o700);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new Error(
      `The data directory ${dir} is open to other users (mode 0${mode.toString(8)}) and could not be ` +
        `restricted to its owner (${code}). Run \`chmod 700 ${dir}\` as its owner, or choose another --data-dir.`,
      { cause: error },
    );
  }
}
