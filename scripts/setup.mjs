// `npm run setup`: brings a fresh machine to where `npm start` and `npm test` work, and says what it
// does as it goes. Idempotent: what is already there is skipped, so a second run changes nothing.
//   1. system packages (apt-get on Debian and Ubuntu, dnf on Fedora, Homebrew on macOS; through sudo
//      when not root); Windows and unknown systems get a list of what to install instead;
//   2. node_modules: `npm ci` (`npm install` without a lock file), skipped when already in sync;
//   3. a browser for the Playwright tests where the system has none to offer.
// Node built-ins only: this runs before node_modules exists. The decisions are in setup-plan.mjs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
} from './setup-plan.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
const isWindows = process.platform === 'win32';
/** Problems that leave the machine short of `npm test`; reported at the end, exit code 1. */
const unfinished = [];

const say = (line = '') => console.log(line);
const step = (title) => say(`\n== ${title}`);

function run(argv, options = {}) {
  say(`$ ${argv.join(' ')}`);
  const result = spawnSync(argv[0], argv.slice(1), {
    cwd: root,
    stdio: 'inherit',
    // npm and npx are .cmd files on Windows.
    shell: isWindows,
    ...options,
  });
  if (result.error) return { ok: false, why: result.error.message };
  return { ok: result.status === 0, why: `exit code ${result.status}` };
}

function capture(argv) {
  const result = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', shell: isWindows });
  return { ok: !result.error && result.status === 0, found: !result.error, stdout: result.stdout ?? '' };
}

const hasCommand = (name) => capture(isWindows ? ['where', name] : ['sh', '-c', `command -v ${name}`]).ok;

function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

// ---- Node itself ----------------------------------------------------------------------------------
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Strongroom needs Node.js 20.19 or newer (22 works too); this is ${process.version}.`);
  process.exit(1);
}

const system = detectSystem(
  process.platform,
  process.platform === 'linux' ? readText('/etc/os-release') : null,
);
say(`Strongroom setup on ${system.name}, Node ${process.version}`);

// ---- 1. system packages ---------------------------------------------------------------------------
let installedSystemPackages = false;
step('system packages');
const wanted = systemPackages(system.kind);
if (wanted === null) {
  for (const line of manualInstructions(system.kind)) say(line);
} else {
  if (system.kind === 'macos') checkMacTools();
  const installed = installedPackages(system.kind, wanted);
  if (installed === null) {
    unfinished.push(
      `could not list the installed packages; install these yourself: ${wanted.map((p) => p.name).join(' ')}`,
    );
  } else {
    const missing = missingPackages(wanted, installed);
    if (missing.length === 0) {
      say(`all ${wanted.length} present (${wanted.map((p) => p.name).join(', ')})`);
    } else {
      say(`missing ${missing.length} of ${wanted.length}:`);
      for (const p of missing) say(`  ${p.name.padEnd(22)} ${p.why}`);
      installedSystemPackages = installMissing(
        system.kind,
        missing.map((p) => p.name),
      );
    }
  }
}

function checkMacTools() {
  if (!capture(['xcode-select', '-p']).ok) {
    unfinished.push(
      'the Xcode command-line tools are missing (python3, make and the C++ compiler for the native modules): run `xcode-select --install`, then `npm run setup` again',
    );
  } else {
    say('Xcode command-line tools: present');
  }
}

/** The names of `wanted` that are installed, or null when the package manager cannot be asked. */
function installedPackages(kind, wanted) {
  const names = wanted.map((p) => p.name);
  if (kind === 'debian' || kind === 'ubuntu') {
    // Exit code 1 when some are unknown to dpkg: those are simply not in the output.
    const r = capture(['dpkg-query', '-W', '-f=${Package} ${db:Status-Status}\n', ...names]);
    return r.found ? parseDpkgQuery(r.stdout) : null;
  }
  if (kind === 'fedora') {
    const r = capture(['rpm', '-q', '--qf', '%{NAME}\n', ...names]);
    return r.found ? parseRpmQuery(r.stdout) : null;
  }
  if (kind === 'macos') {
    if (!hasCommand('brew')) {
      say('Homebrew is not installed: see https://brew.sh, then run `npm run setup` again.');
      return null;
    }
    const r = capture(['brew', 'list', '--formula', '-1']);
    return r.ok ? parseBrewList(r.stdout) : null;
  }
  return null;
}

/** Installs the missing packages; true when it did. */
function installMissing(kind, names) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const commands = installCommands(kind, names, { isRoot });
  if (commands.some((c) => c.viaSudo)) {
    if (!hasCommand('sudo')) {
      unfinished.push(
        `installing system packages needs root and there is no sudo; as root run:\n    ${commands
          .map((c) => c.argv.slice(1).join(' '))
          .join('\n    ')}\n  then \`npm run setup\` again`,
      );
      return false;
    }
    say(
      'Installing them needs root: running the commands below through sudo, which may ask for your password.',
    );
  }
  for (const command of commands) {
    const result = run(command.argv);
    if (!result.ok) {
      unfinished.push(`\`${command.argv.join(' ')}\` failed (${result.why})`);
      return false;
    }
  }
  return true;
}

// ---- 2. node_modules ------------------------------------------------------------------------------
step('npm packages');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const optionalTopLevel = Object.keys(pkg.optionalDependencies ?? {});
let plan = npmPlan({
  lockText: readText(path.join(root, 'package-lock.json')),
  installedText: readText(path.join(root, 'node_modules', '.package-lock.json')),
  optionalTopLevel,
  linkedTo: linkTarget(path.join(root, 'node_modules')),
});
if (plan.action === 'skip' && installedSystemPackages && plan.missingOptional.length > 0) {
  // The libraries just installed may be what their build lacked last time.
  plan = {
    action: 'ci',
    reason: `system packages were just installed, so ${plan.missingOptional.join(', ')} get another build`,
    missingOptional: [],
  };
}
if (plan.action === 'skip') {
  say(`npm ci skipped: ${plan.reason}`);
} else if (plan.action === 'leave') {
  unfinished.push(plan.reason);
} else {
  say(`${plan.action === 'ci' ? 'npm ci' : 'npm install'}: ${plan.reason}`);
  const result = run(['npm', plan.action, '--no-audit', '--no-fund']);
  if (!result.ok) {
    console.error(`\nnpm ${plan.action} failed (${result.why}); the lines above say why.`);
    process.exit(1);
  }
}
reportOptionalModules();

function linkTarget(file) {
  try {
    return fs.lstatSync(file).isSymbolicLink() ? fs.realpathSync(file) : null;
  } catch {
    return null;
  }
}

function reportOptionalModules() {
  const notes = {
    keytar:
      "keytar (the OS keychain) is not built here: the desktop app keeps its device token with Electron's safeStorage instead, the harness keeps it in memory only, and the keytar tests say they are skipped. Install libsecret (see above) and run `npm run setup` again to build it.",
    'zstd-napi':
      "zstd-napi (native zstd) is not built here: the engine uses Node's zlib zstd or the WebAssembly build instead.",
    'strongroom-native-fs':
      "the engine's own addon (native/, built with node-gyp) is not built here: restores set modification times to the microsecond instead of the nanosecond. With python3, make and a C compiler installed, `npm run setup` again builds it (or run `node build.mjs` in native/).",
  };
  for (const name of optionalTopLevel) {
    if (!fs.existsSync(path.join(root, 'node_modules', name, 'package.json')))
      say(`note: ${notes[name] ?? `${name} is not installed`}`);
  }
}

// ---- 3. a browser for the Playwright tests --------------------------------------------------------
step('browser for the Playwright tests');
const browser = browserSource(system.kind);
if (browser === 'system') {
  say('the system Chromium (above)');
} else {
  await ensurePlaywrightChromium(browser === 'playwright-with-deps');
}

async function ensurePlaywrightChromium(withDeps) {
  let executable = null;
  try {
    const { chromium } = await import('playwright-core');
    executable = chromium.executablePath();
  } catch {
    // playwright-core missing: npm failed above, already reported
  }
  if (executable && fs.existsSync(executable)) {
    say(`Playwright's Chromium: present (${executable})`);
    return;
  }
  say("Playwright's Chromium is missing: downloading it");
  const result = run(['npx', 'playwright', 'install', ...(withDeps ? ['--with-deps'] : []), 'chromium']);
  if (!result.ok) unfinished.push(`\`npx playwright install chromium\` failed (${result.why})`);
}

// ---- the end ------------------------------------------------------------------------------------
const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (unfinished.length > 0) {
  console.error(`\nsetup is not complete (${seconds} s):`);
  for (const problem of unfinished) console.error(`  - ${problem}`);
  process.exit(1);
}
say(
  `\nready (${seconds} s): npm start (the desktop app), npm test (the whole test suite), npm run harness (the app in a browser)`,
);
