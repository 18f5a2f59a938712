/**
 * The job process's one line to main, whichever way it was started: Electron's utilityProcess gives it
 * `process.parentPort` (MessageEvent-style), child_process.fork gives it `process.send` and
 * `process.on('message')`. Messages are plain objects (structured clone / JSON); the entry validates
 * what arrives.
 */

interface ElectronParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

export interface ParentPort {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Main went away (fork only: a utility process is ended by Electron with its parent). */
  onDisconnect(listener: () => void): void;
}

export function connectToParent(proc: NodeJS.Process = process): ParentPort {
  const electronPort = (proc as NodeJS.Process & { parentPort?: ElectronParentPort }).parentPort;
  if (electronPort) {
    return {
      send: (message) => electronPort.postMessage(message),
      onMessage: (listener) => electronPort.on('message', (event) => listener(event.data)),
      onDisconnect: () => undefined,
    };
  }
  if (typeof proc.send !== 'function') {
    throw new Error('the job process must be started by main (utilityProcess or fork with an IPC channel)');
  }
  return {
    send: (message) => {
      // After a disconnect there is nobody to tell; the process is about to exit.
      if (proc.connected) proc.send!(message);
    },
    onMessage: (listener) => proc.on('message', listener),
    onDisconnect: (listener) => proc.on('disconnect', listener),
  };
}
