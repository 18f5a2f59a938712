/**
 * The main process for `npm run bench -- desktop`, in a process of its own so that its resident
 * memory is main's alone (the benchmark's own Playwright client stays in the parent): the browser
 * harness (the real main-process services and the embedded account server) with an EngineRunner
 * that stamps each progress message as main receives it from the job process.
 *
 * Parent -> this process (IPC): { type: 'stamps' } | { type: 'close' }.
 * This process -> parent: { type: 'ready', url } | { type: 'stamps', stamps: [key, wall ms][] }.
 * argv: DATA_DIR JOB_PROCESS_ENTRY
 */
import path from 'node:path';
import { register } from 'node:module';
import { ForkedEngineRunner } from '../src-main/adapters/forked-engine-runner';
import type { EngineRunHandlers, EngineRunner } from '../src-main/services/backup/engine-runner';
import type { JobRequest } from '../src-shared/job-protocol';

const [dataDir, jobEntry] = process.argv.slice(2);
if (!dataDir || !jobEntry || !process.send) {
  console.error('desktop-main.ts is started by bench/desktop.ts');
  process.exit(2);
}

/** Keyed as the page sees a progress event: phase, files done, bytes done. */
class StampingRunner implements EngineRunner {
  readonly received = new Map<string, number>();
  constructor(private readonly inner: EngineRunner) {}
  run(request: JobRequest, handlers: EngineRunHandlers, signal: AbortSignal) {
    return this.inner.run(
      request,
      {
        onProgress: (p) => {
          this.received.set(
            `${p.phase}|${p.filesDone}|${p.bytesDone}`,
            performance.timeOrigin + performance.now(),
          );
          handlers.onProgress(p);
        },
        onLog: (e) => handlers.onLog(e),
      },
      signal,
    );
  }
}

register('../src-harness/electron-hooks.mjs', import.meta.url);
const { startHarness, DEFAULT_RENDERER_DIR } = await import('../src-harness/harness');
const { EmbeddedAccountServer } = await import('../src-main/adapters/embedded-account-server');
const localServer = new EmbeddedAccountServer({
  dataDir: path.join(dataDir, 'server'),
  rendererDir: DEFAULT_RENDERER_DIR,
});
await localServer.ensureStarted();
const runner = new StampingRunner(new ForkedEngineRunner({ entry: jobEntry }));
const harness = await startHarness({ dataDir, localServer, runner, log: () => undefined });

process.on('message', (m: { type?: string }) => {
  if (m.type === 'stamps') process.send!({ type: 'stamps', stamps: [...runner.received] });
  if (m.type === 'close') {
    // The services leave handles (keychain, timers) that would keep the process alive.
    void harness.close().finally(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready', url: harness.url });
