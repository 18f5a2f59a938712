/**
 * LocalAccountServer on the account server of src-server, run in this process on loopback with its
 * data in the app's data directory: what the app uses when no server was chosen, so a fresh install
 * works with nothing else to set up (its web panel, with "Create account", is at the same address).
 */
import { startAccountServer, type AccountServer, type AccountServerOptions } from '../../src-server/app';
import type { LocalAccountServer } from '../services/ports';

export interface EmbeddedAccountServerOptions {
  dataDir: string;
  /** dist/renderer, for the web panel it also serves. */
  rendererDir: string;
  /** Tried first so the panel's address stays the same between launches; 0 = any free port. */
  preferredPort?: number;
  extra?: Partial<AccountServerOptions>;
  start?: typeof startAccountServer;
}

export class EmbeddedAccountServer implements LocalAccountServer {
  private running: Promise<AccountServer> | null = null;
  private server: AccountServer | null = null;

  constructor(private readonly options: EmbeddedAccountServerOptions) {}

  async ensureStarted(): Promise<string> {
    this.running ??= this.start().then(
      (server) => (this.server = server),
      (error: unknown) => {
        this.running = null; // a later call may try again
        throw error;
      },
    );
    return (await this.running).url;
  }

  url(): string | null {
    return this.server?.url ?? null;
  }

  async stop(): Promise<void> {
    const running = this.running;
    this.running = null;
    this.server = null;
    if (running) await (await running.catch(() => null))?.close();
  }

  private async start(): Promise<AccountServer> {
    const start = this.options.start ?? startAccountServer;
    const base: AccountServerOptions = {
      ...this.options.extra,
      dataDir: this.options.dataDir,
      rendererDir: this.options.rendererDir,
      host: '127.0.0.1', // never beyond this machine: it speaks plain HTTP
    };
    const preferred = this.options.preferredPort ?? 0;
    try {
      return await start({ ...base, port: preferred });
    } catch (error) {
      if (preferred === 0 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      return start({ ...base, port: 0 });
    }
  }
}
