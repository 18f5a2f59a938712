// Builds the addon with node-gyp (bundled with npm). Uses the running Node's own headers when they
// are installed beside it, so no download is needed; else node-gyp fetches them. A failed build is
// an optional dependency's failure: npm leaves it out, and the engine falls back (see
// src-engine/fs/fs-native.ts).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const prefix = path.dirname(path.dirname(fs.realpathSync(process.execPath)));
const headers = path.join(prefix, 'include', 'node', 'node_api.h');
const args = ['rebuild', ...(fs.existsSync(headers) ? [`--nodedir=${prefix}`] : [])];
// npm puts its node-gyp on PATH for install scripts; `npm run setup` and a manual run find npx's.
const gyp = process.env.npm_config_node_gyp;
const argv = gyp ? [process.execPath, gyp, ...args] : ['npx', '--yes', 'node-gyp', ...args];
const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(r.status ?? 1);
