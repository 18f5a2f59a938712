/**
 * The desktop's services as the app composes them, for tests that drive them through the IPC gate:
 * real settings file and job history in `<dir>/app`, the engine in forked job processes, the given
 * account server as the default; a manual clock and a recording shell unless the test brings its own.
 */
import path from 'node:path';
import { ElectronStoreSettings } from '../../src-main/adapters/electron-store-settings';
import { ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import { composeServices, type Ports, type Services } from '../../src-main/compose';
import { ManualClock, RecordingShell } from './fakes';

export function composeTestServices(
  o: { dir: string; serverUrl: string } & Pick<Ports, 'secrets'> & Partial<Ports>,
): Services {
  const { dir, serverUrl, ...ports } = o;
  const appDir = path.join(dir, 'app');
  return composeServices({
    dataDir: appDir,
    runner: new ForkedEngineRunner(),
    store: new ElectronStoreSettings({ cwd: appDir }),
    clock: new ManualClock(),
    shell: new RecordingShell(),
    localServer: null,
    defaultServerUrl: serverUrl,
    secretStoreKind: 'memory',
    deviceName: 'test-host',
    log: { warn: () => undefined },
    ...ports,
  });
}
