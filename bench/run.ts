/** `npm run bench -- <auth|lock|engine|desktop|find|storage|keys|sessions> [args]`: runs one benchmark, which prints its own figures. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benches = {
  auth: 'auth.ts',
  lock: 'lock.ts',
  engine: 'engine.ts',
  desktop: 'desktop.ts',
  find: 'find.ts',
  storage: 'storage.ts',
  keys: 'keys.ts',
  sessions: 'sessions.ts',
} as const;
const [name, ...rest] = process.argv.slice(2);
if (!name || !(name in benches)) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [options]`);
  process.exit(2);
}
const file = fileURLToPath(new URL(benches[name as keyof typeof benches], import.meta.url));
const result = spawnSync(process.execPath, ['--import', 'tsx', file, ...rest], { stdio: 'inherit' });
process.exit(result.status ?? 1);
