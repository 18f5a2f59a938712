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
  /** Sends a last message, then exits once it has left (an exit right after a send can lose it). */
  sendAndExit(message: unknown, code: number): void;
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
      sendAndExit: (message, code) => {
        electronPort.postMessage(message);
        // postMessage has no completion callback; a moment lets the message leave the process.
        setTimeout(() => proc.exit(code), 200);
      },
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
    sendAndExit: (message, code) => {
      if (!proc.connected) proc.exit(code);
      proc.send!(message, undefined, {}, () => proc.exit(code));
    },
  };
}
