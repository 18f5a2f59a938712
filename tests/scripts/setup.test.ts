/**
 * The decisions of `npm run setup` (scripts/setup-plan.mjs), without running a package manager:
 * which system, which packages, which are missing, how they are installed, and when npm ci is
 * skipped because node_modules already matches package-lock.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  browserSource,
  detectSystem,
  installCommands,
  manualInstructions,
  missingPackages,
  npmPlan,
  parseBrewList,
  parseDpkgQuery,
  parseRpmQuery,
  systemPackages,
} from '../../scripts/setup-plan.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const DEBIAN_12 = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
ID=debian
HOME_URL="https://www.debian.org/"`;
const UBUNTU_24 = `PRETTY_NAME="Ubuntu 24.04.1 LTS"
NAME="Ubuntu"
ID=ubuntu
ID_LIKE=debian`;
const MINT = `NAME="Linux Mint"
PRETTY_NAME="Linux Mint 22"
ID=linuxmint
ID_LIKE="ubuntu debian"`;
const FEDORA_40 = `NAME="Fedora Linux"
ID=fedora
PRETTY_NAME="Fedora Linux 40 (Workstation Edition)"`;
const ROCKY = `NAME="Rocky Linux"
ID="rocky"
ID_LIKE="rhel centos fedora"
PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"`;
const ARCH = `NAME="Arch Linux"
PRETTY_NAME="Arch Linux"
ID=arch`;

const names = (list: { name: string }[] | null) => list?.map((p) => p.name);

describe('which system', () => {
  it('tells Debian, Ubuntu and its derivatives, Fedora and its relatives apart by os-release', () => {
    expect(detectSystem('linux', DEBIAN_12)).toEqual({
      kind: 'debian',
      name: 'Debian GNU/Linux 12 (bookworm)',
    });
    expect(detectSystem('linux', UBUNTU_24)).toEqual({ kind: 'ubuntu', name: 'Ubuntu 24.04.1 LTS' });
    expect(detectSystem('linux', MINT).kind).toBe('ubuntu');
    expect(detectSystem('linux', FEDORA_40).kind).toBe('fedora');
    expect(detectSystem('linux', ROCKY).kind).toBe('fedora');
  });

  it('knows macOS and Windows by platform, and calls anything else unknown instead of guessing', () => {
    expect(detectSystem('darwin', null).kind).toBe('macos');
    expect(detectSystem('win32', null).kind).toBe('windows');
    expect(detectSystem('linux', ARCH)).toEqual({ kind: 'unknown', name: 'Arch Linux' });
    expect(detectSystem('linux', null).kind).toBe('unknown');
    expect(detectSystem('freebsd', null)).toEqual({ kind: 'unknown', name: 'freebsd' });
  });
});

describe('which packages', () => {
  it('on Debian: what CI installed before, plus restic, borg, rclone and time for the engine and benchmarks', () => {
    expect(names(systemPackages('debian'))).toEqual([
      'chromium',
      'fonts-liberation',
      'xvfb',
      'xauth',
      'dbus',
      'gnome-keyring',
      'libsecret-1-dev',
      'libsecret-tools',
      'oathtool',
      'zbar-tools',
      'openssl',
      'python3',
      'make',
      'g++',
      'restic',
      'borgbackup',
      'rclone',
      'time',
    ]);
    expect(browserSource('debian')).toBe('system');
  });

  it("on Ubuntu: the same without apt's chromium (a snap), and Playwright's Chromium with its libraries instead", () => {
    expect(names(systemPackages('ubuntu'))).toEqual(
      names(systemPackages('debian'))!.filter((n) => n !== 'chromium'),
    );
    expect(browserSource('ubuntu')).toBe('playwright-with-deps');
  });

  it("on Fedora: dnf's names for the same things", () => {
    const fedora = names(systemPackages('fedora'))!;
    expect(fedora).toHaveLength(systemPackages('debian')!.length);
    expect(fedora).toEqual(
      expect.arrayContaining(['libsecret-devel', 'gcc-c++', 'xorg-x11-server-Xvfb', 'dbus-daemon', 'zbar']),
    );
    expect(fedora).not.toContain('libsecret-1-dev');
    expect(browserSource('fedora')).toBe('system');
  });

  it("on macOS: only the test tools Homebrew has (the Keychain backs keytar; Xcode's tools build)", () => {
    expect(names(systemPackages('macos'))).toEqual([
      'oath-toolkit',
      'zbar',
      'restic',
      'borgbackup',
      'rclone',
    ]);
    expect(browserSource('macos')).toBe('playwright');
  });

  it('says what every package is for', () => {
    for (const kind of ['debian', 'ubuntu', 'fedora', 'macos'] as const) {
      for (const p of systemPackages(kind)!) expect(p.why, `${kind} ${p.name}`).toMatch(/\w{3,}/);
    }
  });

  it('installs nothing itself on Windows or an unknown system, and gives a list instead', () => {
    expect(systemPackages('windows')).toBeNull();
    expect(systemPackages('unknown')).toBeNull();
    const unknown = manualInstructions('unknown').join('\n');
    for (const name of names(systemPackages('debian'))!) expect(unknown).toContain(name);
    expect(manualInstructions('windows').join('\n')).toMatch(/Visual Studio Build Tools.*\n.*Python 3/);
    expect(manualInstructions('windows').join('\n')).toContain('WSL');
  });
});

describe('which are missing', () => {
  it('reads dpkg-query: only "installed" counts (removed packages leave config files behind)', () => {
    const installed = parseDpkgQuery(
      [
        'chromium installed',
        'xvfb not-installed',
        'restic config-files',
        'g++:amd64 installed',
        'borgbackup installed',
        '',
      ].join('\n'),
    );
    expect([...installed].sort()).toEqual(['borgbackup', 'chromium', 'g++']);
    const wanted = systemPackages('debian')!;
    expect(names(missingPackages(wanted, installed))).toEqual(
      names(wanted)!.filter((n) => !['borgbackup', 'chromium', 'g++'].includes(n)),
    );
    expect(missingPackages(wanted, new Set(names(wanted)))).toEqual([]);
  });

  it('reads rpm -q and brew list', () => {
    expect([...parseRpmQuery('chromium\npackage restic is not installed\nmake\n')]).toEqual([
      'chromium',
      'make',
    ]);
    expect([...parseBrewList('restic\nzbar\n\n')]).toEqual(['restic', 'zbar']);
  });
});

describe('how they are installed', () => {
  it('as root on Debian: refreshes the package lists, then installs, without prompts', () => {
    expect(installCommands('debian', ['restic', 'rclone'], { isRoot: true })).toEqual([
      { argv: ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'update', '-q'], viaSudo: false },
      {
        argv: [
          'env',
          'DEBIAN_FRONTEND=noninteractive',
          'apt-get',
          'install',
          '-y',
          '-q',
          '--no-install-recommends',
          'restic',
          'rclone',
        ],
        viaSudo: false,
      },
    ]);
  });

  it('through sudo when not root (and never apt-get update when nothing is missing)', () => {
    const commands = installCommands('ubuntu', ['time'], { isRoot: false });
    expect(commands.map((c) => c.argv.slice(0, 4))).toEqual([
      ['sudo', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'update'],
      ['sudo', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install'],
    ]);
    expect(commands.every((c) => c.viaSudo)).toBe(true);
    expect(installCommands('debian', [], { isRoot: false })).toEqual([]);
    expect(installCommands('fedora', ['restic'], { isRoot: false })).toEqual([
      { argv: ['sudo', 'dnf', 'install', '-y', 'restic'], viaSudo: true },
    ]);
    // Homebrew refuses to run as root and never needs sudo.
    expect(installCommands('macos', ['zbar'], { isRoot: false })).toEqual([
      { argv: ['brew', 'install', 'zbar'], viaSudo: false },
    ]);
    expect(installCommands('windows', ['x'], { isRoot: false })).toEqual([]);
  });
});

describe('npm ci or not', () => {
  const lock = (packages: Record<string, object>) =>
    JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'strongroom' }, ...packages } });
  const hidden = (packages: Record<string, object>) => JSON.stringify({ lockfileVersion: 3, packages });
  const a = { version: '1.0.0', integrity: 'sha512-a' };
  const keytar = { version: '7.9.0', integrity: 'sha512-k', optional: true };

  it('installs without a lock file, and runs npm ci when node_modules is not there', () => {
    expect(npmPlan({ lockText: null, installedText: null }).action).toBe('install');
    expect(npmPlan({ lockText: lock({}), installedText: null })).toMatchObject({
      action: 'ci',
      reason: 'node_modules is not installed yet',
    });
  });

  it('skips npm ci when node_modules holds exactly what package-lock.json lists', () => {
    const plan = npmPlan({
      lockText: lock({ 'node_modules/a': a, 'node_modules/keytar': keytar }),
      installedText: hidden({ 'node_modules/a': a, 'node_modules/keytar': keytar }),
      optionalTopLevel: ['keytar'],
    });
    expect(plan).toEqual({
      action: 'skip',
      reason: 'node_modules matches package-lock.json',
      missingOptional: [],
    });
  });

  it('runs npm ci when a package is missing, at another version, or no longer wanted', () => {
    const lockText = lock({ 'node_modules/a': a, 'node_modules/b/node_modules/c': a });
    expect(npmPlan({ lockText, installedText: hidden({ 'node_modules/a': a }) })).toMatchObject({
      action: 'ci',
      reason: 'c is not installed',
    });
    expect(
      npmPlan({
        lockText,
        installedText: hidden({
          'node_modules/a': { ...a, version: '0.9.0' },
          'node_modules/b/node_modules/c': a,
        }),
      }),
    ).toMatchObject({ action: 'ci', reason: 'a is 0.9.0, package-lock.json wants 1.0.0' });
    expect(
      npmPlan({
        lockText,
        installedText: hidden({
          'node_modules/a': a,
          'node_modules/b/node_modules/c': a,
          'node_modules/old': a,
        }),
      }),
    ).toMatchObject({ action: 'ci', reason: 'old is installed but no longer in package-lock.json' });
    expect(npmPlan({ lockText, installedText: '{not json' }).action).toBe('ci');
  });

  it('accepts an optional package that did not build, and names it; a devOptional one is needed', () => {
    const lockText = lock({ 'node_modules/a': a, 'node_modules/keytar': keytar });
    expect(
      npmPlan({ lockText, installedText: hidden({ 'node_modules/a': a }), optionalTopLevel: ['keytar'] }),
    ).toEqual({
      action: 'skip',
      reason: 'node_modules matches package-lock.json',
      missingOptional: ['keytar'],
    });
    expect(
      npmPlan({
        lockText: lock({ 'node_modules/@types/node': { ...a, devOptional: true } }),
        installedText: hidden({}),
      }).action,
    ).toBe('ci');
  });

  it('never reinstalls a node_modules that links to a folder shared with other checkouts', () => {
    const lockText = lock({ 'node_modules/a': a });
    expect(npmPlan({ lockText, installedText: hidden({}), linkedTo: '/work/main/node_modules' })).toEqual({
      action: 'leave',
      reason:
        'a is not installed, but node_modules is a link to /work/main/node_modules, which this checkout does not own: not reinstalling it',
      missingOptional: [],
    });
    // In sync: nothing to do either way.
    expect(
      npmPlan({
        lockText,
        installedText: hidden({ 'node_modules/a': a }),
        linkedTo: '/work/main/node_modules',
      }).action,
    ).toBe('skip');
  });

  it("is in sync with this project's own lock file as npm installs it (platform packages of other systems absent)", () => {
    const lockText = fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8');
    const { packages } = JSON.parse(lockText) as {
      packages: Record<string, { optional?: boolean; os?: string[] }>;
    };
    const installed = Object.fromEntries(
      Object.entries(packages).filter(
        ([where, entry]) =>
          where !== '' && !(entry.optional && entry.os && !entry.os.includes(process.platform)),
      ),
    );
    expect(npmPlan({ lockText, installedText: hidden(installed) }).action).toBe('skip');
    delete installed['node_modules/fastify'];
    expect(npmPlan({ lockText, installedText: hidden(installed) })).toMatchObject({
      action: 'ci',
      reason: 'fastify is not installed',
    });
  });
});
