/**
 * The one gate every call from the renderer crosses, whatever carries it (Electron's ipcMain in
 * register.ts, the harness's WebSocket): who sent it, is the input valid, is the app unlocked.
 * Invalid input, calls refused while locked and sign-ins while unlocked never reach a service; thrown errors leave as
 * `{ code: 'internal' }` without their message, which could name internals.
 */
import type { z } from 'zod';
import {
  channels,
  type Channel,
  type ChannelOutput,
  type IpcError,
  type Result,
} from '../../src-shared/ipc-contract';
import { ServiceError } from '../services/service-error';

export type ParsedInput<C extends Channel> = z.output<(typeof channels)[C]['input']>;

export type Handlers = {
  [C in Channel]: (input: ParsedInput<C>) => Promise<ChannelOutput<C>> | ChannelOutput<C>;
};

export interface DispatchOptions {
  handlers: Handlers;
  isLocked: () => boolean;
  log?: (message: string) => void;
}

/**
 * Resolves to the call's Result, or to null when the call was dropped because its sender is not
 * trusted (the caller answers nothing meaningful to an untrusted frame).
 */
export type Dispatch = (
  channel: string,
  input: unknown,
  senderOk: boolean,
) => Promise<Result<unknown> | null>;

const internal: IpcError = { code: 'internal', message: 'Something went wrong in Strongroom. Try again.' };

export function isChannel(name: string): name is Channel {
  return Object.prototype.hasOwnProperty.call(channels, name);
}

export function createDispatch({ handlers, isLocked, log = console.warn }: DispatchOptions): Dispatch {
  return async (channel, input, senderOk) => {
    if (!senderOk) {
      log(`[ipc] dropped ${isChannel(channel) ? channel : 'an unknown channel'}: untrusted sender`);
      return null;
    }
    if (!isChannel(channel)) {
      return { ok: false, error: { code: 'bad_request', message: 'Unknown request.' } };
    }
    const spec = channels[channel];
    const parsed = spec.input.safeParse(input);
    if (!parsed.success) {
      // The schema's own words ("Enter your password."); zod does not echo the input's value.
      const message = parsed.error.issues[0]?.message ?? 'Invalid request.';
      return { ok: false, error: { code: 'bad_request', message } };
    }
    if (!spec.whileLocked && isLocked()) {
      return { ok: false, error: { code: 'locked', message: 'Strongroom is locked. Unlock it first.' } };
    }
    if (spec.whileLocked === 'only' && !isLocked()) {
      return {
        ok: false,
        error: {
          code: 'already_unlocked',
          message: 'Strongroom is already unlocked. Lock it first to sign in again.',
        },
      };
    }
    try {
      const handler = handlers[channel] as (input: unknown) => unknown;
      const value = await handler(parsed.data);
      return { ok: true, value: value ?? null };
    } catch (error) {
      if (error instanceof ServiceError) return { ok: false, error: error.toIpcError() };
      log(`[ipc] ${channel} failed: ${error instanceof Error ? error.name : typeof error}`);
      return { ok: false, error: internal };
    }
  };
}
