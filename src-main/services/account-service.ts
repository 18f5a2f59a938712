/**
 * Account settings through the signed-in session: the Account page and the two-factor
 * authentication option. Every call needs the session of a fresh unlock (the device token in the
 * keychain cannot change account settings), so all of them are refused while locked.
 */
import type { AccountView, ChannelOutput, TotpEnrolmentView } from '../../src-shared/ipc-contract';
import type { AccountClient } from './account-client';
import { KEYS_NOT_LOADED, toAccountView, type LockService } from './lock-service';

export class AccountService {
  constructor(
    private readonly lock: LockService,
    private readonly client: AccountClient,
  ) {}

  get(): Promise<AccountView> {
    return this.lock.withSession(async (s) => {
      s.account = await this.client.account(s.serverUrl, s.sessionToken);
      return toAccountView(s.account, s.serverUrl, KEYS_NOT_LOADED);
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
