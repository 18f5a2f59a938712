/**
 * The account master key (AMK) on this computer (docs/security-model.md, "Your account is your
 * key"). At every unlock, after the full sign-in: the wrap rows are read (fresh session); the first
 * time the app makes the AMK and a recovery key and sends only their wraps; otherwise the AMK is
 * unwrapped with the password's wrap key (after an administrator's reset: with this computer's
 * device key, or the previous password's wrap, then re-wrapped by the new password). Its key id is
 * checked against the one this computer remembers for the account, and the generation against
 * the highest seen; either mismatch is refused and nothing is used. The AMK stays in memory until
 * the app locks (then zeroed); the recovery key of a new kit only until the kit is confirmed saved
 * or the app locks. The renderer gets that key once per showing main opened (the kit main just
 * made), and again only after the password (and code) again: a page script that asks later gets
 * the kit without it.
 *
 * Key trouble never fails an unlock: the app opens (local backups need no AMK) and the view says
 * why the account's keys are unavailable; every call that needs them is refused with that code.
 */
import fs from 'node:fs';
import path from 'node:path';
import QRCode from 'qrcode';
import {
  AccountKeyError,
  deviceWrapKey,
  formatKeyId,
  formatRecoveryKey,
  fromBase64url,
  keyIdOf,
  newAccountMasterKey,
  newRecoveryKey,
  parseRecoveryKey,
  randomBytes,
  recoveryKeys,
  toBase64url,
  unwrapAmk,
  wrapAmk,
  type WrapKind,
} from '../../../src-shared/account-crypto';
import type { AccountKeys, AccountKeyStatus } from '../../../src-shared/account-keys-api';
import type { DeviceWrap, PasswordKdf, PasswordWrap } from '../../../src-shared/account-keys';
import type { AccountKeyView, AccountKitPendingView, AccountKitView } from '../../../src-shared/ipc-contract';
import type { AccountClient } from '../account-client';
import type { AccountKeyHolder, Clock, RestoreOffer, SecretStore, UnlockedAccountKeys } from '../ports';
import { ServiceError } from '../service-error';
import { accountName, type AccountKeyMemory } from './account-key-memory';

/** What a full sign-in hands over: the session, the account's key status, the password's wrap key. */
export interface SignedIn {
  /** The server's origin. */
  serverUrl: string;
  username: string;
  serverIsLocal: boolean;
  sessionToken: string;
  status: AccountKeyStatus;
  /** Held at TOTP enrolment (--require-totp): not a full sign-in yet, so no key is made or opened. */
  mustEnrollTotp: boolean;
  /** The current password's wrap key and parameters (from the sign-in's derivation); the caller zeroes it. */
  password: { wrapKey: Uint8Array; kdf: PasswordKdf };
  /**
   * The password the account has now, as typed (the new one when this unlock replaced a temporary
   * password): after an administrator's reset it is tried against the previous password's wrap.
   */
  typedPassword?: string;
}

/** The session a call runs in (LockService's Session has these). */
export interface KeySession {
  serverUrl: string;
  username: string;
  sessionToken: string;
}

export interface AccountKeyServiceOptions {
  client: AccountClient;
  memory: AccountKeyMemory;
  /** "Remember this computer" (AppSettings.rememberComputer) and its changes. */
  settings: {
    get(): { rememberComputer: boolean };
    onChange(listener: (settings: { rememberComputer: boolean }) => void): () => void;
  };
  /** The keychain: this computer's device key ("Remember this computer"). */
  secrets: SecretStore;
  clock: Clock;
  log?: { warn(message: string): void };
}

type UnavailableCode = 'key_changed' | 'key_unavailable';

interface Held {
  keys: UnlockedAccountKeys;
  /** The account's credential generation as this computer last saw it. */
  generation: number;
  serverIsLocal: boolean;
}

interface PendingKit {
  serverUrl: string;
  username: string;
  keyId: string;
  recoveryKey: Uint8Array;
  createdAt: string;
  /** Main made this kit and has not handed its recovery key to the renderer yet. */
  showing: boolean;
}

/**
 * The keychain account of this computer's device key for an account on a server other than the
 * embedded local one ("device-key:this-computer/<username>" there: AccountKeyMemory.keychainName).
 */
export function deviceKeyAccount(serverUrl: string, username: string): string {
  return `device-key:${accountName(serverUrl, username)}`;
}

const LOCKED_REASON = 'Strongroom is locked.';

export class AccountKeyService implements AccountKeyHolder {
  private held: Held | null = null;
  private unavailable: {
    code: UnavailableCode;
    reason: string;
    serverUrl: string;
    username: string;
    serverIsLocal: boolean;
    /** Nothing here opened the key after an administrator's reset: "start fresh" may replace it. */
    startFresh: { accountUid: string } | null;
  } | null = null;
  private kit: PendingKit | null = null;
  /** Bumped by every forget(), so work that was on its way when the app locked keeps nothing. */
  private epoch = 0;
  private readonly listeners = new Set<(keys: UnlockedAccountKeys | null) => void>();
  private readonly generationListeners = new Set<(generation: number) => void>();
  private restoreOffer: RestoreOffer | null = null;
  /** "This account's server moved": this unlock opened, at a new address, the key remembered at `from`. */
  private serverMove: { from: string; to: string } | null = null;
  /** The same, declined before for this address and key id: not asked, until asked for again. */
  private serverMoveDeclined: { from: string; to: string } | null = null;
  private readonly log: { warn(message: string): void };

  constructor(private readonly o: AccountKeyServiceOptions) {
    this.log = o.log ?? { warn: (m) => console.warn(m) };
    let remember = o.settings.get().rememberComputer;
    o.settings.onChange((settings) => {
      if (settings.rememberComputer === remember) return;
      remember = settings.rememberComputer;
      void (remember ? this.rememberThisComputer() : this.forgetThisComputer());
    });
  }

  // ---- AccountKeyHolder ------------------------------------------------------------------------

  current(): UnlockedAccountKeys | null {
    return this.held?.keys ?? null;
  }

  onChange(listener: (keys: UnlockedAccountKeys | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onGenerationChange(listener: (generation: number) => void): () => void {
    this.generationListeners.add(listener);
    return () => this.generationListeners.delete(listener);
  }

  /** The vault directory's answer to "does this account have backups this computer does not have?". */
  setRestoreOffer(offer: RestoreOffer | null): void {
    this.restoreOffer = offer;
  }

  // ---- unlock and lock ---------------------------------------------------------------------------

  /**
   * After a full sign-in: the AMK, made the first time. Never throws: whatever goes wrong leaves
   * the keys unavailable with words that say why (and what to do).
   */
  async afterSignIn(ctx: SignedIn): Promise<void> {
    const epoch = this.epoch;
    this.dropHeld();
    this.unavailable = null;
    this.serverMove = null;
    this.serverMoveDeclined = null;
    if (this.kit && (this.kit.serverUrl !== ctx.serverUrl || this.kit.username !== ctx.username)) {
      this.dropKit();
    }
    let got: { amk: Uint8Array; keyId: string; generation: number };
    try {
      got = await this.obtain(ctx).catch((error: unknown) => {
        // Another computer changed the rows meanwhile (made the first key at the same moment,
        // added its device wrap): read them again, once.
        if (error instanceof ServiceError && error.code === 'conflict') return this.obtain(ctx);
        throw error;
      });
    } catch (error) {
      if (epoch !== this.epoch) return;
      const { code, reason } = unavailableOf(error);
      this.log.warn(
        `account key unavailable at unlock (${error instanceof ServiceError ? error.code : code})`,
      );
      this.unavailable = {
        code,
        reason,
        serverUrl: ctx.serverUrl,
        username: ctx.username,
        serverIsLocal: ctx.serverIsLocal,
        startFresh: error instanceof ResetKeyLost ? { accountUid: ctx.status.accountUid } : null,
      };
      return;
    }
    if (epoch !== this.epoch) {
      got.amk.fill(0);
      return;
    }
    if (this.kit && this.kit.keyId !== got.keyId) this.dropKit();
    this.held = {
      keys: {
        serverUrl: ctx.serverUrl,
        username: ctx.username,
        accountUid: ctx.status.accountUid,
        computerId: this.o.client.computerId,
        keyId: got.keyId,
        amk: got.amk,
        sessionToken: ctx.sessionToken,
        serverIsLocal: ctx.serverIsLocal,
      },
      generation: got.generation,
      serverIsLocal: ctx.serverIsLocal,
    };
    // Only now, with the key opened here: a server cannot claim another's account by its key id.
    const from = this.o.memory.serversWithKey(ctx.serverUrl, ctx.username, got.keyId);
    if (!ctx.serverIsLocal && from.length > 0 && !(await this.stillAnswers(from[0]!))) {
      if (epoch !== this.epoch) return;
      const move = { from: from[0]!, to: ctx.serverUrl };
      const declined = this.o.memory.get(ctx.serverUrl, ctx.username).moveDeclinedFor === got.keyId;
      if (declined) this.serverMoveDeclined = move;
      else this.serverMove = move;
    }
    this.notify();
  }

  /** The server move this unlock may offer (see afterSignIn), while the key it was found with is held. */
  serverMoveOffer(): { from: string; to: string } | null {
    return this.held ? this.serverMove : null;
  }

  /**
   * Whether a server still answers at the old address. Then the account has a second address (a
   * relay, a proxy, a copy) and has not moved: no move is offered. Only an address that no longer
   * answers at all counts as gone.
   */
  private async stillAnswers(serverUrl: string): Promise<boolean> {
    try {
      await this.o.client.serverInfo(serverUrl);
      return true;
    } catch (error) {
      return !(error instanceof ServiceError && error.code === 'unreachable');
    }
  }

  /**
   * The move was accepted (ServerMove did it) or declined: not offered again in this unlock. A
   * decline is remembered for this address and key id, so later unlocks do not ask either.
   */
  endServerMoveOffer(declined = false): void {
    const held = this.held;
    if (declined && held && this.serverMove) {
      this.o.memory.update(held.keys.serverUrl, held.keys.username, { moveDeclinedFor: held.keys.keyId });
      this.serverMoveDeclined = this.serverMove;
    }
    this.serverMove = null;
  }

  /** "Ask me again": a declined move is offered once more (and forgotten as declined). */
  askServerMoveAgain(): void {
    const held = this.held;
    const move = this.serverMoveDeclined;
    if (!held || !move) {
      throw new ServiceError('conflict', "No declined move of this account's server to ask about again.");
    }
    this.o.memory.update(held.keys.serverUrl, held.keys.username, { moveDeclinedFor: null });
    this.serverMoveDeclined = null;
    this.serverMove = move;
  }

  /** The app locked: the AMK is zeroed and the pending kit's recovery key forgotten. */
  forget(): void {
    this.epoch++;
    const had = this.held !== null;
    this.dropHeld();
    this.dropKit();
    this.unavailable = null;
    this.serverMove = null;
    this.serverMoveDeclined = null;
    if (had) this.notify();
  }

  async view(): Promise<AccountKeyView> {
    const held = this.held;
    if (held) {
      const remembered = this.o.memory.get(held.keys.serverUrl, held.keys.username);
      return {
        state: 'ready',
        keyId: formatKeyId(held.keys.keyId),
        kitPending: remembered.kitPending,
        serverIsLocal: held.serverIsLocal,
        reason: null,
        offerRestore: await this.offerRestore(held.keys),
        serverMoved: this.serverMove,
        serverMoveDeclined: this.serverMoveDeclined,
        canStartFresh: false,
      };
    }
    const u = this.unavailable;
    if (u) {
      const remembered = this.o.memory.get(u.serverUrl, u.username);
      return {
        state: 'unavailable',
        keyId: remembered.keyId ? formatKeyId(remembered.keyId) : null,
        kitPending: remembered.kitPending,
        serverIsLocal: u.serverIsLocal,
        reason: u.reason,
        offerRestore: false,
        serverMoved: null,
        canStartFresh: u.startFresh !== null,
      };
    }
    return {
      state: 'unavailable',
      keyId: null,
      kitPending: false,
      serverIsLocal: false,
      reason: LOCKED_REASON,
      offerRestore: false,
      serverMoved: null,
      canStartFresh: false,
    };
  }

  // ---- the account recovery kit ------------------------------------------------------------------

  /**
   * The pending kit: with its recovery key at the first call after main made it (the showing main
   * opened), without it afterwards.
   */
  async kitView(): Promise<AccountKitView | AccountKitPendingView> {
    const kit = this.pendingKit();
    if (!kit.showing) {
      return {
        username: kit.username,
        serverUrl: kit.serverUrl,
        keyId: formatKeyId(kit.keyId),
        recoveryKey: null,
        qrPngDataUrl: null,
        createdAt: kit.createdAt,
      };
    }
    kit.showing = false;
    return this.shownKit(kit);
  }

  /** "Show the recovery key again": the password (and code) again, checked by the server, first. */
  async showKitAgain(
    session: KeySession,
    input: { password: string; totp?: string; recoveryCode?: string },
  ): Promise<AccountKitView> {
    this.require(session);
    const kit = this.pendingKit();
    await this.reauthenticate(session, input);
    // Confirmed saved, replaced or locked while the server answered: that key is not shown.
    if (this.pendingKit() !== kit) {
      throw new ServiceError('conflict', 'The recovery kit changed meanwhile. Open it again from Backups.');
    }
    kit.showing = false;
    return this.shownKit(kit);
  }

  private async shownKit(kit: PendingKit): Promise<AccountKitView> {
    const recoveryKey = await formatRecoveryKey(kit.recoveryKey);
    return {
      username: kit.username,
      serverUrl: kit.serverUrl,
      keyId: formatKeyId(kit.keyId),
      recoveryKey,
      qrPngDataUrl: await QRCode.toDataURL(recoveryKey, { errorCorrectionLevel: 'M', margin: 2, scale: 6 }),
      createdAt: kit.createdAt,
    };
  }

  /** Writes the kit as text: mode 0600, never over an existing file. */
  async saveKit(destinationPath: string): Promise<{ path: string }> {
    const kit = this.pendingKit();
    if (!path.isAbsolute(destinationPath)) {
      throw new ServiceError(
        'bad_request',
        'Choose where to save the kit: a full path such as /home/you/kit.txt.',
      );
    }
    const target = path.resolve(destinationPath);
    const text = kitText({
      username: kit.username,
      serverUrl: kit.serverUrl,
      keyId: formatKeyId(kit.keyId),
      recoveryKey: await formatRecoveryKey(kit.recoveryKey),
      createdAt: kit.createdAt,
      serverIsLocal: this.held?.serverIsLocal ?? false,
    });
    try {
      fs.writeFileSync(target, text, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        throw new ServiceError(
          'conflict',
          `${target} already exists. Choose another name; nothing was overwritten.`,
        );
      }
      if (code === 'ENOENT') throw new ServiceError('not_found', `The folder of ${target} does not exist.`);
      throw new ServiceError('internal', `The kit could not be written to ${target} (${code ?? 'error'}).`);
    }
    return { path: target };
  }

  /** The person saved the kit: the recovery key is forgotten and the banner goes. */
  confirmKitSaved(): void {
    const kit = this.pendingKit();
    this.o.memory.update(kit.serverUrl, kit.username, { kitPending: false });
    this.dropKit();
  }

  /** A new recovery key (the old one stops working) and its kit; the password and code again. */
  async newKit(
    session: KeySession,
    input: { password: string; totp?: string; recoveryCode?: string },
  ): Promise<AccountKitView> {
    const held = this.require(session);
    const authKey = await this.authKeyOf(session, input.password);
    const recoveryKey = newRecoveryKey();
    const write = async (generation: number) => {
      const recovery = await this.recoveryRow(held, recoveryKey, generation + 1);
      return this.o.client.newRecoveryKey(session.serverUrl, session.sessionToken, {
        authKey,
        ...codes(input),
        generation,
        recovery,
      });
    };
    const { generation } = await this.withCurrentGeneration(held, write);
    this.saw(held, generation, { kitPending: true });
    this.dropKit();
    this.kit = {
      serverUrl: held.keys.serverUrl,
      username: held.keys.username,
      keyId: held.keys.keyId,
      recoveryKey,
      createdAt: new Date(this.o.clock.now()).toISOString(),
      // Answered here, once: this call is the showing.
      showing: false,
    };
    return this.shownKit(this.kit);
  }

  // ---- credentials -------------------------------------------------------------------------------

  /** The password (and code) again: the session is fresh again for the key, directory and profile routes. */
  async reauthenticate(
    session: KeySession,
    input: { password: string; totp?: string; recoveryCode?: string },
  ): Promise<void> {
    const authKey = await this.authKeyOf(session, input.password);
    await this.o.client.reauthenticate(session.serverUrl, session.sessionToken, { authKey, ...codes(input) });
  }

  /**
   * The password change: the AMK wrapped by the new password at generation + 1. The server ends
   * every other session and every device and storage token; the caller registers this computer's
   * device again from the session that survives.
   */
  async changePassword(
    session: KeySession,
    input: { currentPassword: string; newPassword: string; totp?: string; recoveryCode?: string },
  ): Promise<void> {
    const held = this.require(session);
    const currentAuthKey = await this.authKeyOf(session, input.currentPassword);
    const next = await this.o.client.newPasswordKeys(input.newPassword);
    try {
      const { generation } = await this.withCurrentGeneration(held, async (generation) =>
        this.o.client.changePassword(session.serverUrl, session.sessionToken, {
          currentAuthKey,
          ...codes(input),
          generation,
          kdf: next.kdf,
          authKey: next.authKey,
          passwordWrap: await this.passwordRow(held.keys, next.wrapKey, next.kdf, generation + 1),
        }),
      );
      this.saw(held, generation, {});
    } finally {
      next.wrapKey.fill(0);
    }
  }

  /**
   * "Forgot password?": the recovery key's proof and a code answer the recovery wrap; the AMK it
   * opens (checked against the key id this computer remembers) is wrapped by the new password and
   * a new recovery key, which replace the old rows at once. The new kit stays pending for the
   * unlock with the new password that follows.
   */
  async forgotPassword(
    serverUrl: string,
    input: {
      username: string;
      recoveryKey: string;
      newPassword: string;
      totp?: string;
      recoveryCode?: string;
    },
  ): Promise<void> {
    const username = input.username.trim().toLowerCase();
    let typed: Uint8Array;
    try {
      typed = await parseRecoveryKey(input.recoveryKey);
    } catch (error) {
      throw toServiceError(error);
    }
    const recovery = await recoveryKeys(typed);
    typed.fill(0);
    const remembered = this.o.memory.get(serverUrl, username);
    let ticket: Awaited<ReturnType<AccountClient['forgotPasswordBegin']>>;
    try {
      ticket = await this.o.client.forgotPasswordBegin(serverUrl, {
        username,
        recoveryProof: toBase64url(recovery.proof),
        ...codes(input),
      });
    } finally {
      recovery.proof.fill(0);
    }
    let amk: Uint8Array;
    try {
      if (remembered.keyId !== null && ticket.keyId !== remembered.keyId) throw keyChanged();
      checkGeneration(ticket.generation, remembered.generation);
      amk = await unwrapAmk(
        ticket.recoveryWrap.sealed,
        recovery.wrapKey,
        {
          accountUid: ticket.accountUid,
          kind: 'recovery',
          generation: ticket.recoveryWrap.generation,
          keyId: ticket.keyId,
        },
        remembered.keyId,
      );
    } catch (error) {
      throw toServiceError(error);
    } finally {
      recovery.wrapKey.fill(0);
    }
    const next = await this.o.client.newPasswordKeys(input.newPassword);
    const newKey = newRecoveryKey();
    const at = ticket.generation + 1;
    const keys = { accountUid: ticket.accountUid, keyId: ticket.keyId, amk };
    try {
      const newRecovery = await recoveryKeys(newKey);
      await this.o.client.forgotPasswordFinish(serverUrl, {
        ticket: ticket.ticket,
        generation: ticket.generation,
        kdf: next.kdf,
        authKey: next.authKey,
        passwordWrap: await this.passwordRow(keys, next.wrapKey, next.kdf, at),
        recovery: await this.sealedRecoveryRow({ ...keys, amk }, newRecovery, at),
      });
      newRecovery.proof.fill(0);
      newRecovery.wrapKey.fill(0);
    } catch (error) {
      newKey.fill(0);
      throw error;
    } finally {
      amk.fill(0);
      next.wrapKey.fill(0);
    }
    // The new password's sign-in uses the auth key: never the legacy proof again for this account.
    this.o.memory.update(serverUrl, username, {
      keyId: ticket.keyId,
      generation: at,
      kitPending: true,
      newScheme: true,
    });
    this.dropKit();
    this.kit = {
      serverUrl,
      username,
      keyId: ticket.keyId,
      recoveryKey: newKey,
      createdAt: new Date(this.o.clock.now()).toISOString(),
      showing: true,
    };
  }

  /**
   * "Start fresh", the last resort after an administrator's reset when neither this computer's
   * device key, the previous password nor (from the unlock screen) the recovery key opened the
   * account's key: a new AMK and recovery key, with the password and a new code again. The old
   * vaults' directory rows stay on the server, locked; the server archives the old recovery wrap,
   * so the old account recovery kit still opens them. This computer remembers the new key id.
   */
  async startFresh(
    session: KeySession,
    input: { password: string; totp?: string; recoveryCode?: string },
  ): Promise<void> {
    const u = this.unavailable;
    if (this.held || !u || u.startFresh === null) {
      throw new ServiceError(
        'conflict',
        "Starting fresh is only for an account whose key nothing on this computer can open after the administrator reset its password; this account's key is not in that state.",
      );
    }
    if (u.serverUrl !== session.serverUrl || u.username !== session.username) {
      throw new ServiceError('conflict', 'Lock Strongroom and unlock it again, then start fresh.');
    }
    const epoch = this.epoch;
    const accountUid = u.startFresh.accountUid;
    const derived = await this.o.client.deriveCredentials(
      session.serverUrl,
      session.username,
      input.password,
    );
    const amk = newAccountMasterKey();
    const recoveryKey = newRecoveryKey();
    let generation: number;
    let keyId: string;
    try {
      const rows = await this.o.client.accountKeys(session.serverUrl, session.sessionToken);
      if (rows.accountUid !== accountUid) {
        throw new ServiceError(
          'key_unavailable',
          'The server answered the keys of another account; nothing was used.',
        );
      }
      checkGeneration(rows.generation, this.o.memory.get(session.serverUrl, session.username).generation);
      if (rows.passwordWrapCurrent) {
        throw new ServiceError(
          'conflict',
          "This account's key opens with its password again (it was recovered meanwhile): lock Strongroom and unlock it.",
        );
      }
      keyId = await keyIdOf(amk);
      const keys = { accountUid, keyId, amk };
      const at = rows.generation + 1;
      const rk = await recoveryKeys(recoveryKey);
      try {
        const deviceWrap = this.o.settings.get().rememberComputer
          ? await this.deviceRow(session, keys, at)
          : null;
        const answer = await this.o.client.replaceAccountKeys(session.serverUrl, session.sessionToken, {
          authKey: derived.authKey,
          ...codes(input),
          generation: rows.generation,
          keyId,
          passwordWrap: await this.passwordRow(keys, derived.wrapKey, derived.kdf, at),
          recovery: await this.sealedRecoveryRow({ ...keys, amk }, rk, at),
          ...(deviceWrap ? { deviceWrap } : {}),
        });
        generation = this.written(answer, at);
      } finally {
        rk.proof.fill(0);
        rk.wrapKey.fill(0);
      }
    } catch (error) {
      amk.fill(0);
      recoveryKey.fill(0);
      throw error;
    } finally {
      derived.wrapKey.fill(0);
    }
    // The person chose the new key: it is the one this computer checks from now on.
    this.o.memory.update(session.serverUrl, session.username, { keyId, generation, kitPending: true });
    if (epoch !== this.epoch) {
      amk.fill(0);
      recoveryKey.fill(0);
      return;
    }
    this.unavailable = null;
    this.dropKit();
    this.kit = {
      serverUrl: session.serverUrl,
      username: session.username,
      keyId,
      recoveryKey,
      createdAt: new Date(this.o.clock.now()).toISOString(),
      showing: true,
    };
    this.held = {
      keys: {
        serverUrl: session.serverUrl,
        username: session.username,
        accountUid,
        computerId: this.o.client.computerId,
        keyId,
        amk,
        sessionToken: session.sessionToken,
        serverIsLocal: u.serverIsLocal,
      },
      generation,
      serverIsLocal: u.serverIsLocal,
    };
    this.notify();
  }

  // ---- inside ------------------------------------------------------------------------------------

  private async obtain(ctx: SignedIn): Promise<{ amk: Uint8Array; keyId: string; generation: number }> {
    const remembered = this.o.memory.get(ctx.serverUrl, ctx.username);
    if (ctx.mustEnrollTotp) {
      throw new ServiceError(
        'key_unavailable',
        "This server requires two-factor authentication: turn it on, then lock Strongroom and unlock it again to open the account's key.",
      );
    }
    if (ctx.status.passwordChangeRequired) {
      throw new ServiceError(
        'key_unavailable',
        'Choose a new password first: the administrator set this one.',
      );
    }
    checkGeneration(ctx.status.generation, remembered.generation);
    if (remembered.keyId !== null && ctx.status.keyId !== remembered.keyId) throw keyChanged();
    const rows = await this.o.client.accountKeys(ctx.serverUrl, ctx.sessionToken);
    if (rows.accountUid !== ctx.status.accountUid) {
      throw new ServiceError(
        'key_unavailable',
        'The server answered the keys of another account; nothing was used.',
      );
    }
    checkGeneration(rows.generation, remembered.generation);
    if (rows.keyId === null) {
      // The server forgetting a key this computer has seen is a changed key, not a first one.
      if (remembered.keyId !== null) throw keyChanged();
      return this.create(ctx, rows);
    }
    if (remembered.keyId !== null && rows.keyId !== remembered.keyId) throw keyChanged();
    const keyId = rows.keyId;
    const id = { accountUid: rows.accountUid, keyId };
    // The top-level generation is only the compare-and-swap value of the next write; what is
    // remembered is the generation of a wrap that opened here (its AD binds it) or was written here.
    let generation = rows.generation;
    let opened: number;
    let amk: Uint8Array;
    /** This computer's device key opens its device wrap (else a new wrap is stored below). */
    let deviceOpens: boolean;
    if (rows.passwordWrapCurrent) {
      if (!rows.passwordWrap)
        throw new ServiceError('key_unavailable', 'The server answered no password wrap.');
      amk = await unwrapAmk(
        rows.passwordWrap.sealed,
        ctx.password.wrapKey,
        wrapContext(id, 'password', rows.passwordWrap.generation),
        remembered.keyId,
      );
      opened = rows.passwordWrap.generation;
      const byDevice = await this.fromDeviceKey(ctx, rows, id);
      deviceOpens = byDevice !== null;
      byDevice?.fill(0);
      if (deviceOpens) opened = Math.max(opened, rows.deviceWrap!.generation);
    } else {
      // After an administrator's reset: this computer's device key, then the previous password's
      // wrap (when the password typed now is that one again); then re-wrapped by the current one.
      const byDevice = await this.fromDeviceKey(ctx, rows, id);
      deviceOpens = byDevice !== null;
      const found = byDevice ?? (await this.fromPreviousPassword(ctx, rows.passwordWrap, id));
      opened = byDevice ? rows.deviceWrap!.generation : (rows.passwordWrap?.generation ?? 0);
      if (!found) throw new ResetKeyLost();
      amk = found;
      try {
        const rewrapped = await this.o.client.rewrapPassword(ctx.serverUrl, ctx.sessionToken, {
          generation,
          passwordWrap: await this.passwordRow(
            { ...id, amk },
            ctx.password.wrapKey,
            ctx.password.kdf,
            generation + 1,
          ),
        });
        opened = Math.max(opened, generation + 1);
        generation = this.written(rewrapped, generation + 1);
      } catch (error) {
        amk.fill(0);
        throw error;
      }
    }
    // "Remember this computer": a device wrap this computer's device key opens (none yet, a
    // keychain emptied, or a wrap made with a key it no longer has: a new one replaces it); turned
    // off, neither the key nor a wrap of it stays.
    if (!this.o.settings.get().rememberComputer) {
      await this.forgetDevice(ctx, rows.deviceWrap !== null);
    } else if (!deviceOpens) {
      const before = generation;
      generation = await this.addDeviceWrap(ctx, { ...id, amk }, generation);
      if (generation !== before) opened = Math.max(opened, before + 1);
    }
    this.o.memory.update(ctx.serverUrl, ctx.username, {
      keyId,
      generation: Math.max(remembered.generation, opened),
    });
    return { amk, keyId, generation };
  }

  /** The first AMK: made here, sent only wrapped (password, recovery key, this computer's device key). */
  private async create(
    ctx: SignedIn,
    rows: AccountKeys,
  ): Promise<{ amk: Uint8Array; keyId: string; generation: number }> {
    const amk = newAccountMasterKey();
    const keyId = await keyIdOf(amk);
    const keys = { accountUid: rows.accountUid, keyId, amk };
    const at = rows.generation + 1;
    const recoveryKey = newRecoveryKey();
    try {
      const rk = await recoveryKeys(recoveryKey);
      const deviceWrap = this.o.settings.get().rememberComputer ? await this.deviceRow(ctx, keys, at) : null;
      const answer = await this.o.client.createAccountKeys(ctx.serverUrl, ctx.sessionToken, {
        generation: rows.generation,
        keyId,
        passwordWrap: await this.passwordRow(keys, ctx.password.wrapKey, ctx.password.kdf, at),
        recovery: await this.sealedRecoveryRow({ ...keys, amk }, rk, at),
        ...(deviceWrap ? { deviceWrap } : {}),
      });
      const generation = this.written(answer, at);
      rk.proof.fill(0);
      rk.wrapKey.fill(0);
      this.o.memory.update(ctx.serverUrl, ctx.username, { keyId, generation, kitPending: true });
      this.dropKit();
      this.kit = {
        serverUrl: ctx.serverUrl,
        username: ctx.username,
        keyId,
        recoveryKey,
        createdAt: new Date(this.o.clock.now()).toISOString(),
        showing: true,
      };
      return { amk, keyId, generation };
    } catch (error) {
      amk.fill(0);
      recoveryKey.fill(0);
      throw error;
    }
  }

  private async fromDeviceKey(
    ctx: KeySession,
    rows: AccountKeys,
    id: { accountUid: string; keyId: string },
  ): Promise<Uint8Array | null> {
    if (!rows.deviceWrap || rows.deviceWrap.computerId !== this.o.client.computerId) return null;
    const deviceKey = await this.deviceKey(ctx.serverUrl, ctx.username, false);
    if (!deviceKey) return null;
    const key = await deviceWrapKey(deviceKey);
    deviceKey.fill(0);
    try {
      return await unwrapAmk(
        rows.deviceWrap.sealed,
        key,
        wrapContext(id, { device: this.o.client.computerId }, rows.deviceWrap.generation),
        id.keyId,
      );
    } catch {
      return null;
    } finally {
      key.fill(0);
    }
  }

  private async fromPreviousPassword(
    ctx: SignedIn,
    wrap: PasswordWrap | null,
    id: { accountUid: string; keyId: string },
  ): Promise<Uint8Array | null> {
    if (!wrap || ctx.typedPassword === undefined) return null;
    let keys: { authKey: Uint8Array; wrapKey: Uint8Array };
    try {
      keys = await this.o.client.passwordKeys(ctx.typedPassword, wrap.kdf);
    } catch {
      return null;
    }
    keys.authKey.fill(0);
    try {
      return await unwrapAmk(
        wrap.sealed,
        keys.wrapKey,
        wrapContext(id, 'password', wrap.generation),
        id.keyId,
      );
    } catch {
      return null;
    } finally {
      keys.wrapKey.fill(0);
    }
  }

  /** "Remember this computer" turned on while unlocked: the device wrap now (best effort; else at the next unlock). */
  private async rememberThisComputer(): Promise<void> {
    const held = this.held;
    if (!held) return;
    const generation = await this.addDeviceWrap(held.keys, held.keys, held.generation);
    if (this.held === held) this.saw(held, generation, {});
  }

  /** Turned off while unlocked: the device wrap and the device key go now (else at the next unlock). */
  private async forgetThisComputer(): Promise<void> {
    const held = this.held;
    if (held) await this.forgetDevice(held.keys, true);
  }

  /** Removes this computer's device wrap from the server (when it has one) and its key from the keychain. */
  private async forgetDevice(session: KeySession, onServer: boolean): Promise<void> {
    if (onServer) {
      try {
        await this.o.client.deleteDeviceWrap(
          session.serverUrl,
          session.sessionToken,
          this.o.client.computerId,
        );
      } catch (error) {
        // The key stays in the keychain so that the next unlock tries again.
        this.log.warn(`this computer's device wrap was not removed (${errorCode(error)})`);
        return;
      }
    }
    try {
      await this.o.secrets.delete(this.deviceKeyName(session.serverUrl, session.username));
      await this.o.secrets.delete(deviceKeyAccount(session.serverUrl, session.username));
    } catch (error) {
      this.log.warn(`this computer's device key was not removed from the keychain (${errorCode(error)})`);
    }
  }

  /** "Remember this computer": best effort; the unlock does not depend on it. */
  private async addDeviceWrap(
    ctx: KeySession,
    keys: { accountUid: string; keyId: string; amk: Uint8Array },
    generation: number,
  ): Promise<number> {
    try {
      const wrap = await this.deviceRow(ctx, keys, generation + 1);
      if (!wrap) return generation;
      const answer = await this.o.client.putDeviceWrap(ctx.serverUrl, ctx.sessionToken, { generation, wrap });
      return this.written(answer, generation + 1);
    } catch (error) {
      this.log.warn(`this computer's device wrap was not stored (${errorCode(error)})`);
      return generation;
    }
  }

  /** This computer's device wrap at `at`, or null when the keychain cannot keep a device key. */
  private async deviceRow(
    ctx: KeySession,
    keys: { accountUid: string; keyId: string; amk: Uint8Array },
    at: number,
  ): Promise<DeviceWrap | null> {
    const deviceKey = await this.deviceKey(ctx.serverUrl, ctx.username, true);
    if (!deviceKey) return null;
    const key = await deviceWrapKey(deviceKey);
    deviceKey.fill(0);
    try {
      const computerId = this.o.client.computerId;
      return {
        kind: 'device',
        computerId,
        generation: at,
        sealed: await wrapAmk(keys.amk, key, wrapContext(keys, { device: computerId }, at)),
      };
    } finally {
      key.fill(0);
    }
  }

  /**
   * "This account's server moved", accepted: the unlock at the new address stored a device wrap
   * with the device key kept for it; the one kept for the old address opens nothing any more.
   */
  async forgetMovedDeviceKey(from: string, username: string): Promise<void> {
    try {
      await this.o.secrets.delete(deviceKeyAccount(from, username));
    } catch (error) {
      this.log.warn(`the old address's device key was not removed (${errorCode(error)})`);
    }
  }

  private deviceKeyName(serverUrl: string, username: string): string {
    return `device-key:${this.o.memory.keychainName(serverUrl, username)}`;
  }

  /**
   * The kept device key; one kept for the local server under its address of the moment (before the
   * port-independent name) is read once and renamed.
   */
  private async keptDeviceKey(account: string, serverUrl: string, username: string): Promise<string | null> {
    const kept = await this.o.secrets.get(account);
    const legacy = deviceKeyAccount(serverUrl, username);
    if (kept || account === legacy) return kept;
    const old = await this.o.secrets.get(legacy);
    if (!old) return null;
    await this.o.secrets.set(account, old);
    await this.o.secrets.delete(legacy);
    return old;
  }

  /** The device key from the keychain; with `make`, a new one is made and kept when there is none. */
  private async deviceKey(serverUrl: string, username: string, make: boolean): Promise<Uint8Array | null> {
    const account = this.deviceKeyName(serverUrl, username);
    try {
      const kept = await this.keptDeviceKey(account, serverUrl, username);
      if (kept && /^[A-Za-z0-9_-]{43}$/.test(kept)) return fromBase64url(kept);
      if (!make) return null;
      const key = randomBytes(32);
      await this.o.secrets.set(account, toBase64url(key));
      return key;
    } catch (error) {
      this.log.warn(`no device key: the keychain is unavailable (${errorCode(error)})`);
      return null;
    }
  }

  /** The recovery key's row: the proof the server keeps a MAC of, and the AMK wrapped by the key. */
  private async sealedRecoveryRow(
    keys: { accountUid: string; keyId: string; amk: Uint8Array },
    rk: { proof: Uint8Array; wrapKey: Uint8Array },
    at: number,
  ): Promise<{ proof: string; wrap: { kind: 'recovery'; generation: number; sealed: string } }> {
    return {
      proof: toBase64url(rk.proof),
      wrap: {
        kind: 'recovery',
        generation: at,
        sealed: await wrapAmk(keys.amk, rk.wrapKey, wrapContext(keys, 'recovery', at)),
      },
    };
  }

  private async passwordRow(
    keys: { accountUid: string; keyId: string; amk: Uint8Array },
    wrapKey: Uint8Array,
    kdf: PasswordKdf,
    at: number,
  ): Promise<PasswordWrap> {
    return {
      kind: 'password',
      generation: at,
      kdf,
      sealed: await wrapAmk(keys.amk, wrapKey, wrapContext(keys, 'password', at)),
    };
  }

  private async recoveryRow(held: Held, recoveryKey: Uint8Array, at: number) {
    const rk = await recoveryKeys(recoveryKey);
    try {
      return await this.sealedRecoveryRow(held.keys, rk, at);
    } finally {
      rk.proof.fill(0);
      rk.wrapKey.fill(0);
    }
  }

  /**
   * Runs a credential write at the generation this computer knows; when another computer moved it
   * on meanwhile (`conflict`), reads the keys again (same key id, not older) and retries once.
   */
  private async withCurrentGeneration<T extends { generation: number }>(
    held: Held,
    write: (generation: number) => Promise<T>,
  ): Promise<T> {
    const attempt = async (generation: number) => {
      const answer = await write(generation);
      return { ...answer, generation: this.written(answer, generation + 1) };
    };
    try {
      return await attempt(held.generation);
    } catch (error) {
      if (!(error instanceof ServiceError) || error.code !== 'conflict') throw error;
    }
    const rows = await this.o.client.accountKeys(held.keys.serverUrl, held.keys.sessionToken);
    if (rows.keyId !== held.keys.keyId) throw keyChanged();
    checkGeneration(rows.generation, held.generation);
    this.saw(held, rows.generation, {}, false);
    return attempt(rows.generation);
  }

  /**
   * The generation a write made is the one it wrote (`at`: compare-and-swap on the one before), never
   * what the answer says: a server answering another number is not believed. The write itself is
   * kept (refusing it now would lose a kit the server already holds); the mismatch is logged.
   */
  private written(answer: { generation: number }, at: number): number {
    if (answer.generation !== at)
      this.log.warn(
        `the account server answered generation ${answer.generation} to a write of ${at}; ${at} is kept`,
      );
    return at;
  }

  /** `remember` false: a generation only answered (not written here), kept for the next write alone. */
  private saw(held: Held, generation: number, patch: { kitPending?: boolean }, remember = true): void {
    const before = held.generation;
    held.generation = Math.max(held.generation, generation);
    const remembered = this.o.memory.get(held.keys.serverUrl, held.keys.username);
    this.o.memory.update(held.keys.serverUrl, held.keys.username, {
      ...patch,
      generation: remember ? Math.max(remembered.generation, generation) : remembered.generation,
    });
    if (held.generation === before || this.held !== held) return;
    // Drives carry copies of the wrap rows: the old recovery key or password must stop opening them.
    for (const listener of [...this.generationListeners]) {
      try {
        listener(held.generation);
      } catch (error) {
        this.log.warn(`a generation listener failed (${errorCode(error)})`);
      }
    }
  }

  private async authKeyOf(session: KeySession, password: string): Promise<string> {
    const derived = await this.o.client.deriveCredentials(session.serverUrl, session.username, password);
    derived.wrapKey.fill(0);
    return derived.authKey;
  }

  /** The AMK of this session's account, or the reason it is not here. */
  private require(session: KeySession): Held {
    const held = this.held;
    if (held && held.keys.serverUrl === session.serverUrl && held.keys.username === session.username)
      return held;
    const u = this.unavailable;
    if (u) throw new ServiceError(u.code, u.reason);
    throw new ServiceError(
      'key_unavailable',
      "This account's key is not available. Lock Strongroom and unlock it again.",
    );
  }

  private pendingKit(): PendingKit {
    const kit = this.kit;
    const held = this.held;
    if (!kit || !held || kit.keyId !== held.keys.keyId || kit.username !== held.keys.username) {
      throw new ServiceError(
        'not_found',
        'No recovery kit is waiting. Make a new one from Account settings (it needs your password).',
      );
    }
    return kit;
  }

  private async offerRestore(keys: UnlockedAccountKeys): Promise<boolean> {
    if (!this.restoreOffer) return false;
    try {
      return await this.restoreOffer.hasVaultsElsewhere(keys);
    } catch {
      return false; // the offer comes back at the next unlock; nothing depends on it
    }
  }

  private dropHeld(): void {
    this.held?.keys.amk.fill(0);
    this.held = null;
  }

  private dropKit(): void {
    this.kit?.recoveryKey.fill(0);
    this.kit = null;
  }

  private notify(): void {
    const keys = this.current();
    for (const listener of [...this.listeners]) {
      try {
        listener(keys);
      } catch (error) {
        this.log.warn(`an account key listener failed: ${errorCode(error)}`);
      }
    }
  }
}

function wrapContext(id: { accountUid: string; keyId: string }, kind: WrapKind, generation: number) {
  return { accountUid: id.accountUid, keyId: id.keyId, kind, generation };
}

function codes(input: { totp?: string; recoveryCode?: string }): { totp?: string; recoveryCode?: string } {
  return {
    ...(input.totp !== undefined ? { totp: input.totp } : {}),
    ...(input.recoveryCode !== undefined ? { recoveryCode: input.recoveryCode } : {}),
  };
}

/** After a reset, nothing here opened the key: "Forgot password?" with the kit, or start fresh. */
class ResetKeyLost extends ServiceError {
  constructor() {
    super(
      'key_unavailable',
      'This account\'s key could not be opened on this computer after the password was reset. If you have your account recovery kit, lock Strongroom and use "Forgot password?" with it: everything comes back. If nothing opens it, you can start fresh with a new account key.',
    );
  }
}

function keyChanged(): ServiceError {
  return new ServiceError(
    'key_changed',
    "This account's key changed: the server answered with a key this computer does not know, so it was not used. Nothing was changed. If you did not start fresh on purpose, tell the server's administrator.",
  );
}

/** A server answering an older generation than this computer has seen is replaying old rows. */
function checkGeneration(answered: number, highestSeen: number): void {
  if (answered < highestSeen) {
    throw new ServiceError(
      'key_unavailable',
      'This server answered with older keys than this computer has seen, so they were not used. Nothing was changed.',
    );
  }
}

function toServiceError(error: unknown): unknown {
  if (!(error instanceof AccountKeyError)) return error;
  if (error.code === 'key_changed') return keyChanged();
  if (error.code === 'recovery_key_typo') return new ServiceError('bad_request', error.message);
  return new ServiceError('key_unavailable', "The account's key did not open; nothing was changed.");
}

function unavailableOf(error: unknown): { code: UnavailableCode; reason: string } {
  const e = toServiceError(error);
  if (e instanceof ServiceError) {
    if (e.code === 'key_changed' || e.code === 'key_unavailable') return { code: e.code, reason: e.message };
    return {
      code: 'key_unavailable',
      reason: `This account's key could not be loaded (${e.message}) Lock Strongroom and unlock it again.`,
    };
  }
  return {
    code: 'key_unavailable',
    reason: "This account's key could not be loaded. Lock Strongroom and unlock it again.",
  };
}

function errorCode(error: unknown): string {
  if (error instanceof ServiceError) return error.code;
  return error instanceof Error ? error.name : typeof error;
}

/** The kit's text: what it is, the recovery key, and the two ways to use it. */
export function kitText(kit: {
  username: string;
  serverUrl: string;
  keyId: string;
  recoveryKey: string;
  createdAt: string;
  serverIsLocal: boolean;
}): string {
  const lines = [
    'STRONGROOM ACCOUNT RECOVERY KIT',
    '',
    'Keep this somewhere safe and private (printed, or in a password manager). Anyone with this',
    'recovery key and your two-factor codes can set a new password for your account and read your backups.',
    '',
    `Username:      ${kit.username}`,
    `Server:        ${kit.serverUrl}`,
    `Key id:        ${kit.keyId}`,
    `Made:          ${kit.createdAt}`,
    '',
    'Recovery key:',
    `  ${kit.recoveryKey}`,
    '',
    'If you forget your password: in the Strongroom app, choose "Forgot password?" on the unlock',
    'screen and enter your username, this recovery key and a code from your authenticator app.',
    '',
    'To open a backup drive or folder with no account server at all: put the recovery key',
    'alone in a file (say recovery-key.txt) and run',
    "  strongroom-backup --repo <the vault's folder> --recovery-key-file recovery-key.txt snapshots",
    '(then restore, ls, find: see "strongroom-backup --help").',
    '',
    'The key id lets you check that the app shows the same key (Account settings). A new kit',
    'made later replaces this one: this recovery key then stops working.',
  ];
  if (kit.serverIsLocal) {
    lines.push(
      '',
      'This account lives on the account server inside Strongroom on this computer: it is not',
      'off-site. Keep your backup drives, and this kit, away from this computer.',
    );
  }
  return `${lines.join('\n')}\n`;
}
