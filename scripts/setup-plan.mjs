// The decisions of `npm run setup` (scripts/setup.mjs), without side effects so that vitest can test
// them without running a package manager: which system this is, which packages it needs, which of
// them are missing, how to install them, and whether node_modules must be (re)installed.
// Plain JavaScript with Node built-ins only: setup runs before node_modules exists.

/** What each system package is for; the names differ per package manager, the purposes do not. */
const PURPOSES = {
  browser: 'Chromium for the Playwright tests',
  fonts: 'fonts for the browser tests',
  xvfb: 'a virtual display for the Electron tests (xvfb-run)',
  xauth: 'used by xvfb-run',
  dbus: 'a private D-Bus session for the keychain tests (dbus-run-session)',
  keyring: 'a Secret Service (gnome-keyring) for keytar',
  libsecretDev: 'the library keytar is built against',
  secretTool: 'secret-tool, to look into the keychain by hand',
  oathtool: 'TOTP codes computed independently of the server, in the tests',
  zbar: 'QR image decoding in the tests',
  openssl: 'certificates for the TLS tests',
  python: 'node-gyp (builds the native modules)',
  make: 'node-gyp (builds the native modules)',
  compiler: 'the C++ compiler for the native modules',
  restic: 'restic, compared with in the engine tests and benchmarks',
  borg: 'borg, compared with in the engine tests and benchmarks',
  rclone: 'rclone, for the storage tests',
  time: '/usr/bin/time -v, for the benchmarks',
};

/** [purpose, package name] per package manager. */
const DEBIAN = [
  ['browser', 'chromium'],
  ['fonts', 'fonts-liberation'],
  ['xvfb', 'xvfb'],
  ['xauth', 'xauth'],
  ['dbus', 'dbus'],
  ['keyring', 'gnome-keyring'],
  ['libsecretDev', 'libsecret-1-dev'],
  ['secretTool', 'libsecret-tools'],
  ['oathtool', 'oathtool'],
  ['zbar', 'zbar-tools'],
  ['openssl', 'openssl'],
  ['python', 'python3'],
  ['make', 'make'],
  ['compiler', 'g++'],
  ['restic', 'restic'],
  ['borg', 'borgbackup'],
  ['rclone', 'rclone'],
  ['time', 'time'],
];

const FEDORA = [
  ['browser', 'chromium'],
  ['fonts', 'liberation-fonts'],
  ['xvfb', 'xorg-x11-server-Xvfb'],
  ['xauth', 'xorg-x11-xauth'],
  ['dbus', 'dbus-daemon'],
  ['keyring', 'gnome-keyring'],
  ['libsecretDev', 'libsecret-devel'],
  ['secretTool', 'libsecret'],
  ['oathtool', 'oathtool'],
  ['zbar', 'zbar'],
  ['openssl', 'openssl'],
  ['python', 'python3'],
  ['make', 'make'],
  ['compiler', 'gcc-c++'],
  ['restic', 'restic'],
  ['borg', 'borgbackup'],
  ['rclone', 'rclone'],
  ['time', 'time'],
];

// macOS: the Keychain backs keytar (no Secret Service, no libsecret), the Xcode command-line tools
// bring python3, make and clang, and Playwright's own Chromium is the browser.
const HOMEBREW = [
  ['oathtool', 'oath-toolkit'],
  ['zbar', 'zbar'],
  ['restic', 'restic'],
  ['borg', 'borgbackup'],
  ['rclone', 'rclone'],
];

/**
 * Parses /etc/os-release (KEY=value lines, values optionally quoted).
 * @param {string} text
 * @returns {{ id: string, idLike: string[], name: string }}
 */
export function parseOsRelease(text) {
  /** @type {Record<string, string>} */
  const fields = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) fields[match[1]] = match[2].replace(/^(["'])(.*)\1$/, '$2');
  }
  return {
    id: (fields.ID ?? '').toLowerCase(),
    idLike: (fields.ID_LIKE ?? '').toLowerCase().split(/\s+/).filter(Boolean),
    name: fields.PRETTY_NAME ?? fields.NAME ?? 'this Linux',
  };
}

/**
 * Which kind of system this is, from process.platform and (on Linux) /etc/os-release's text.
 * @param {string} platform
 * @param {string | null} osReleaseText
 * @returns {{ kind: 'debian' | 'ubuntu' | 'fedora' | 'macos' | 'windows' | 'unknown', name: string }}
 */
export function detectSystem(platform, osReleaseText) {
  if (platform === 'darwin') return { kind: 'macos', name: 'macOS' };
  if (platform === 'win32') return { kind: 'windows', name: 'Windows' };
  if (platform !== 'linux' || osReleaseText === null) return { kind: 'unknown', name: platform };
  const release = parseOsRelease(osReleaseText);
  const family = [release.id, ...release.idLike];
  // Ubuntu and its derivatives before Debian: Ubuntu's "chromium" is a snap, not a package.
  if (family.includes('ubuntu')) return { kind: 'ubuntu', name: release.name };
  if (family.includes('debian')) return { kind: 'debian', name: release.name };
  if (family.includes('fedora')) return { kind: 'fedora', name: release.name };
  return { kind: 'unknown', name: release.name };
}

/**
 * The system packages a kind of system needs, with what each is for; null where setup cannot
 * install them (Windows, unknown systems).
 * @param {string} kind
 * @returns {{ name: string, why: string }[] | null}
 */
export function systemPackages(kind) {
  const table =
    kind === 'debian'
      ? DEBIAN
      : kind === 'ubuntu'
        ? DEBIAN.filter(([purpose]) => purpose !== 'browser')
        : kind === 'fedora'
          ? FEDORA
          : kind === 'macos'
            ? HOMEBREW
            : null;
  return table && table.map(([purpose, name]) => ({ name, why: PURPOSES[purpose] }));
}

/**
 * Where the browser for the Playwright tests comes from: the system package (Debian: /usr/bin/chromium,
 * Fedora: its chromium package), or Playwright's own Chromium, downloaded by `npx playwright install`.
 * @param {string} kind
 * @returns {'system' | 'playwright' | 'playwright-with-deps'}
 */
export function browserSource(kind) {
  if (kind === 'debian' || kind === 'fedora') return 'system';
  // Ubuntu's apt "chromium" installs a snap, which Playwright cannot drive: Playwright's own build,
  // with the libraries it needs from apt.
  if (kind === 'ubuntu') return 'playwright-with-deps';
  return 'playwright';
}

/**
 * The packages of `wanted` that are not in `installed`, in the order they were listed.
 * @param {{ name: string, why: string }[]} wanted
 * @param {Set<string>} installed
 */
export function missingPackages(wanted, installed) {
  return wanted.filter((p) => !installed.has(p.name));
}

/**
 * Installed package names from `dpkg-query -W -f='${Package} ${db:Status-Status}\n' NAMES...`
 * (names dpkg has never heard of are reported on stderr and simply absent here).
 * @param {string} stdout
 */
export function parseDpkgQuery(stdout) {
  const installed = new Set();
  for (const line of stdout.split('\n')) {
    const [name, status] = line.trim().split(/\s+/);
    if (name && status === 'installed') installed.add(name.replace(/:.*$/, ''));
  }
  return installed;
}

/**
 * Installed package names from `rpm -q --qf '%{NAME}\n' NAMES...` (a missing one prints
 * "package NAME is not installed").
 * @param {string} stdout
 */
export function parseRpmQuery(stdout) {
  const installed = new Set();
  for (const line of stdout.split('\n')) {
    const name = line.trim();
    if (name && !/\s/.test(name)) installed.add(name);
  }
  return installed;
}

/**
 * Installed formulae from `brew list --formula -1`.
 * @param {string} stdout
 */
export function parseBrewList(stdout) {
  return new Set(
    stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  );
}

/**
 * The commands that install `names`, in order. apt-get's package lists are refreshed first, and
 * only here, when something must be installed. Not root: through sudo (Homebrew refuses root and
 * never needs sudo).
 * @param {string} kind
 * @param {string[]} names
 * @param {{ isRoot: boolean }} who
 * @returns {{ argv: string[], viaSudo: boolean }[]}
 */
export function installCommands(kind, names, { isRoot }) {
  if (names.length === 0) return [];
  const sudo = (/** @type {string[]} */ argv) =>
    isRoot ? { argv, viaSudo: false } : { argv: ['sudo', ...argv], viaSudo: true };
  if (kind === 'debian' || kind === 'ubuntu') {
    const env = 'DEBIAN_FRONTEND=noninteractive';
    return [
      sudo([env, 'apt-get', 'update', '-q']),
      sudo([env, 'apt-get', 'install', '-y', '-q', '--no-install-recommends', ...names]),
    ].map((c) => ({ ...c, argv: withEnv(c.argv) }));
  }
  if (kind === 'fedora') return [sudo(['dnf', 'install', '-y', ...names])];
  if (kind === 'macos') return [{ argv: ['brew', 'install', ...names], viaSudo: false }];
  return [];
}

/** `VAR=value cmd …` as argv: run through `env` when not behind sudo (sudo takes VAR=value itself). */
function withEnv(/** @type {string[]} */ argv) {
  return argv[0] === 'sudo' ? argv : ['env', ...argv];
}

/**
 * What to tell a person on a system setup cannot install packages on.
 * @param {string} kind
 * @returns {string[]}
 */
export function manualInstructions(kind) {
  if (kind === 'windows') {
    return [
      'Windows: `npm start` needs only Node.js 20.19+ or 22: better-sqlite3 and keytar come as prebuilt',
      'binaries. If npm reports a node-gyp error instead, install the Visual Studio Build Tools with',
      '"Desktop development with C++" and Python 3, then run `npm run setup` again.',
      'The test suite and the benchmarks need Linux tools (bash, gnome-keyring, oathtool, zbar, restic,',
      'borg): run them in WSL (Ubuntu), where `npm run setup` installs everything.',
    ];
  }
  const list = DEBIAN.map(([purpose, name]) => `  ${name.padEnd(18)} ${PURPOSES[purpose]}`);
  return [
    'This system is not one `npm run setup` knows how to install packages on (Debian, Ubuntu,',
    'Fedora, macOS). Install these with its package manager (Debian names; yours may differ):',
    ...list,
    "Without a Secret Service and libsecret the app keeps secrets with Electron's safeStorage instead",
    'of keytar, and the keytar tests say they are skipped.',
  ];
}

/**
 * Whether node_modules must be installed, and whether setup may do it. A node_modules that is a link
 * to another folder (shared between checkouts) is not this checkout's to replace: setup then only
 * says what is out of date.
 * @param {{ lockText: string | null, installedText: string | null, optionalTopLevel?: string[], linkedTo?: string | null }} input
 * @returns {{ action: 'ci' | 'install' | 'skip' | 'leave', reason: string, missingOptional: string[] }}
 */
export function npmPlan({ linkedTo = null, ...input }) {
  const plan = installPlan(input);
  if (linkedTo === null || plan.action === 'skip') return plan;
  return {
    action: 'leave',
    reason: `${plan.reason}, but node_modules is a link to ${linkedTo}, which this checkout does not own: not reinstalling it`,
    missingOptional: [],
  };
}

/**
 * Whether node_modules must be installed. npm records what it installed in
 * node_modules/.package-lock.json (its "hidden lockfile"); when every package of package-lock.json is
 * there at the same version, `npm ci` would change nothing and is skipped. An optional package may be
 * absent (its build failed, or it is for another platform); it is listed so that setup can say so.
 * @param {{ lockText: string | null, installedText: string | null, optionalTopLevel?: string[] }} input
 * @returns {{ action: 'ci' | 'install' | 'skip', reason: string, missingOptional: string[] }}
 */
function installPlan({ lockText, installedText, optionalTopLevel = [] }) {
  if (lockText === null)
    return { action: 'install', reason: 'there is no package-lock.json', missingOptional: [] };
  if (installedText === null)
    return { action: 'ci', reason: 'node_modules is not installed yet', missingOptional: [] };
  let lock;
  let installed;
  try {
    lock = JSON.parse(lockText).packages ?? {};
    installed = JSON.parse(installedText).packages ?? {};
  } catch {
    return { action: 'ci', reason: 'node_modules/.package-lock.json is unreadable', missingOptional: [] };
  }
  for (const [where, entry] of Object.entries(lock)) {
    if (where === '' || entry.link) continue;
    const have = installed[where];
    if (!have) {
      // devOptional (a dev dependency that is also optional elsewhere) is needed: npm ci installs dev.
      if (entry.optional) continue;
      return {
        action: 'ci',
        reason: `${where.replace(/^.*node_modules\//, '')} is not installed`,
        missingOptional: [],
      };
    }
    if (
      have.version !== entry.version ||
      (entry.integrity && have.integrity && have.integrity !== entry.integrity)
    )
      return {
        action: 'ci',
        reason: `${where.replace(/^.*node_modules\//, '')} is ${have.version}, package-lock.json wants ${entry.version}`,
        missingOptional: [],
      };
  }
  for (const where of Object.keys(installed)) {
    if (!(where in lock))
      return {
        action: 'ci',
        reason: `${where.replace(/^.*node_modules\//, '')} is installed but no longer in package-lock.json`,
        missingOptional: [],
      };
  }
  const missingOptional = optionalTopLevel.filter((name) => !installed[`node_modules/${name}`]);
  return { action: 'skip', reason: 'node_modules matches package-lock.json', missingOptional };
}
