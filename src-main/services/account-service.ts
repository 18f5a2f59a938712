/**
 * Account settings through the signed-in session: the Account page and the two-factor
 * authentication option. Every call needs the session of a fresh unlock (the device token in the
 * keychain cannot change account settings), so all of them are refused while locked.
 */
import type {
  AccountKeyView,
  AccountKitPendingView,
  AccountKitView,
  AccountView,
  ChannelOutput,
  TotpEnrolmentView,
} from '../../src-shared/ipc-contract';
import type { AccountClient } from './account-client';
import type { AccountKeyService } from './account/account-key-service';
import { toAccountView, type LockService } from './lock-service';
import { ServiceError } from './service-error';

export class AccountService {
  constructor(
    private readonly lock: LockService,
    private readonly client: AccountClient,
    private readonly keys: AccountKeyService | null = null,
  ) {}

  keyStatus(): Promise<AccountKeyView> {
    return this.lock.withSession(() => this.lock.keyView());
  }

  kit(): Promise<AccountKitView | AccountKitPendingView> {
    return this.lock.withSession(() => this.requireKeys().kitView());
  }

  showKitAgain(input: { password: string; totp?: string; recoveryCode?: string }): Promise<AccountKitView> {
    return this.lock.withSession((s) => this.requireKeys().showKitAgain(s, input));
  }

  saveKit(destinationPath: string): Promise<{ path: string }> {
    return this.lock.withSession(() => this.requireKeys().saveKit(destinationPath));
  }

  confirmKitSaved(): Promise<null> {
    return this.lock.withSession(async () => {
      this.requireKeys().confirmKitSaved();
      return null;
    });
  }

  newKit(input: { password: string; totp?: string; recoveryCode?: string }): Promise<AccountKitView> {
    return this.lock.withSession((s) => this.requireKeys().newKit(s, input));
  }

  reauthenticate(input: { password: string; totp?: string; recoveryCode?: string }): Promise<null> {
    return this.lock.withSession(async (s) => {
      await this.requireKeys().reauthenticate(s, input);
      return null;
    });
  }

  /** The password change; then this computer's device token again (the change ended every one). */
  changePassword(input: {
    currentPassword: string;
    newPassword: string;
    totp?: string;
    recoveryCode?: string;
  }): Promise<null> {
    return this.lock.withSession(async (s) => {
      await this.requireKeys().changePassword(s, input);
      await this.lock.registerDeviceAgain(s);
      return null;
    });
  }

  /** "Start fresh": a new account key after a reset that nothing here could open; the new kit is pending. */
  startFresh(input: { password: string; totp?: string; recoveryCode?: string }): Promise<AccountKeyView> {
    return this.lock.withSession(async (s) => {
      await this.requireKeys().startFresh(s, input);
      return this.lock.keyView();
    });
  }

  private requireKeys(): AccountKeyService {
    if (!this.keys) throw new ServiceError('internal', 'Not available in this version.');
    return this.keys;
  }

  /** The keychain refused this computer's device key: try it again, and answer the account as it now is. */
  async keepDeviceKeyAgain(): Promise<AccountView> {
    await this.lock.keepDeviceTokenAgain();
    return this.get();
  }

  get(): Promise<AccountView> {
    return this.lock.withSession(async (s) => {
      s.account = await this.client.account(s.serverUrl, s.sessionToken);
      return toAccountView(s.account, s.serverUrl, await this.lock.keyView(), s.deviceTokenProblem ?? null);
    });
  }

  totpBegin(): Promise<TotpEnrolmentView> {
    return this.lock.withSession(async (s) => {
      // The otpauth URI stays in main: the QR image and the manual key carry the same secret.
      const { qrPngDataUrl, secretBase32, expiresAt } = await this.client.totpBegin(
        s.serverUrl,
        s.sessionToken,
      );
      return { qrPngDataUrl, secretBase32, expiresAt };
    });
  }

  totpConfirm(input: { code: string }): Promise<ChannelOutput<'totp:confirm'>> {
    return this.lock.withSession(async (s) => {
      const { recoveryCodes } = await this.client.totpConfirm(s.serverUrl, s.sessionToken, input);
      // Under --require-totp this session's sign-in got no device token; enrolment now allows one.
      // It never fails the enrolment: TOTP is on and the recovery codes must still be shown.
      await this.lock.registerDeviceIfMissing(s);
      return { recoveryCodes };
    });
  }

  totpDisable(input: { password: string; code?: string; recoveryCode?: string }): Promise<null> {
    return this.lock.withSession(async (s) => {
      await this.client.totpDisable(s.serverUrl, s.sessionToken, s.username, input);
      return null;
    });
  }

  regenerateRecoveryCodes(input: { code: string }): Promise<ChannelOutput<'totp:regenerateRecoveryCodes'>> {
    return this.lock.withSession(async (s) => {
      const { recoveryCodes } = await this.client.regenerateRecoveryCodes(s.serverUrl, s.sessionToken, input);
      return { recoveryCodes };
    });
  }
}
