#!/usr/bin/env node
// Runs the engine's CLI from its TypeScript source through tsx, so `npx strongroom-backup` works right
// after `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src-engine/cli.ts');
await main();
