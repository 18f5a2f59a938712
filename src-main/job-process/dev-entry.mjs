// The job process from its TypeScript sources (harness, tests, `npm run bench`): plain JavaScript that
// registers tsx, then loads entry.ts. The app runs the bundled job-process.mjs instead (scripts/
// build-electron.mjs). A forked process does not inherit the parent's loader, hence this file.
import { register } from 'tsx/esm/api';

register();
await import('./entry.ts');
