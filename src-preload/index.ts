/**
 * The preload: builds `window.api` (DesktopApi) from the contract, one method per channel and one
 * subscription per event, and nothing more. ipcRenderer itself never reaches the page. It is
 * bundled to one CommonJS file (a sandboxed preload cannot load modules), so it imports only
 * types from the contract: the channel names below are checked against it at compile time, and a
 * vitest test checks them against the contract at run time.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { Channel, DesktopApi, EventName, EventPayloads, events } from '../src-shared/ipc-contract';

export const CHANNELS = [
  'lock:status',
  'auth:unlock',
  'lock:lockAndClose',
  'lock:lockNow',
  'account:get',
  'account:keepDeviceKeyAgain',
  'totp:begin',
  'totp:confirm',
  'totp:disable',
  'totp:regenerateRecoveryCodes',
  'settings:get',
  'settings:set',
  'activity:ping',
  'auth:createAccount',
  'backup:overview',
  'backup:setPreferences',
  'vault:create',
  'vault:rename',
  'vault:remove',
  'vault:enterPassword',
  'vault:verify',
  'vault:storageUsage',
  'vault:saveRecoveryKit',
  'item:save',
  'item:remove',
  'item:checkPaths',
  'job:backupNow',
  'job:cancel',
  'job:list',
  'job:get',
  'restore:snapshots',
  'restore:browse',
  'restore:start',
  'dialog:choosePath',
  'shell:showInFolder',
  'catalogue:search',
  'catalogue:versions',
  'catalogue:diff',
  'catalogue:status',
  'catalogue:update',
  'accountKey:status',
  'accountKit:get',
  'accountKit:showAgain',
  'accountKit:save',
  'accountKit:confirmSaved',
  'accountKit:new',
  'account:reauthenticate',
  'account:changePassword',
  'auth:forgotPassword',
  'account:computers',
  'account:addVaults',
  'account:connectDrive',
  'account:takeOver',
  'account:answerServerMove',
  'account:startFresh',
  'account:lockedVaults',
  'vault:rekeyOffers',
  'vault:rekey',
  'vault:openDrive',
  'account:askServerMoveAgain',
  'account:openLockedVaults',
] as const satisfies readonly Channel[];

export const EVENTS = {
  onLocked: 'event:locked',
  onJobProgress: 'event:job-progress',
  onJobChanged: 'event:job-changed',
} as const satisfies typeof events;

// Compile-time completeness: adding a channel or an event to the contract fails the build here.
type Missing<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : Exclude<All, Listed>;
const allChannelsListed: Missing<Channel, (typeof CHANNELS)[number]> = true;
const allEventsListed: Missing<EventName, keyof typeof EVENTS> = true;
void allChannelsListed;
void allEventsListed;

function methodName(channel: string): string {
  const [a = '', b = ''] = channel.split(':');
  return `${a}${b.charAt(0).toUpperCase()}${b.slice(1)}`;
}

export function buildApi(renderer: Pick<typeof ipcRenderer, 'invoke' | 'on' | 'removeListener'>): DesktopApi {
  const api: Record<string, unknown> = {};
  for (const channel of CHANNELS) {
    // Only the input crosses; the renderer cannot pick the channel name or reach the event object.
    api[methodName(channel)] = (input?: unknown) => renderer.invoke(channel, input);
  }
  for (const name of Object.keys(EVENTS) as EventName[]) {
    api[name] = (listener: (payload: EventPayloads[typeof name]) => void) => {
      const wrapped = (_event: IpcRendererEvent, payload: EventPayloads[typeof name]) => listener(payload);
      renderer.on(EVENTS[name], wrapped);
      return () => {
        renderer.removeListener(EVENTS[name], wrapped);
      };
    };
  }
  return Object.freeze(api) as unknown as DesktopApi;
}

// Only when loaded as Electron's preload (a test imports buildApi without Electron around it).
if (typeof contextBridge?.exposeInMainWorld === 'function') {
  contextBridge.exposeInMainWorld('api', buildApi(ipcRenderer));
}
