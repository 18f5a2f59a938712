import { describe, expect, it } from 'vitest';
import {
  accountErrorText,
  forgotPasswordErrorText,
  keepsRunningText,
  lockReasonText,
  minutesLabel,
  unlockErrorText,
} from '../../../src-renderer/desktop/wording';

const ctx = { codeWasEntered: false, serverUrl: 'http://127.0.0.1:8437' };

describe('unlock error wording', () => {
  it('says wrong username or password, and mentions the code only when one was entered', () => {
    const error = { code: 'invalid_credentials' as const, message: 'x' };
    expect(unlockErrorText(error, ctx)).toBe('Wrong username or password. Check them and try again.');
    expect(unlockErrorText(error, { ...ctx, codeWasEntered: true })).toMatch(/two-factor code/);
  });

  it('asks for the code when the account needs one', () => {
    expect(unlockErrorText({ code: 'totp_required', message: '' }, ctx)).toMatch(
      /uses two-factor authentication.*six-digit code/,
    );
  });

  it('names the server that could not be reached', () => {
    expect(unlockErrorText({ code: 'unreachable', message: '' }, ctx)).toContain('http://127.0.0.1:8437');
  });

  it("falls back to main's message for codes the screen does not expect", () => {
    expect(unlockErrorText({ code: 'internal', message: 'Keychain unavailable.' }, ctx)).toBe(
      'Keychain unavailable.',
    );
  });
});

describe("the account's key in words", () => {
  it('says a changed key was refused and what to do, at unlock and anywhere else', () => {
    const error = { code: 'key_changed' as const, message: '' };
    for (const text of [unlockErrorText(error, ctx), accountErrorText(error)]) {
      expect(text).toMatch(/^This account’s key changed/);
      expect(text).toContain('Strongroom did not use it');
      expect(text).toContain('ask its administrator');
    }
  });

  it("passes on main's reason why the keys could not be opened", () => {
    const text = accountErrorText({
      code: 'key_unavailable',
      message: 'The server has no key for this account yet.',
    });
    expect(text).toContain('The server has no key for this account yet.');
    expect(text).toContain('Forgot password?');
  });

  it('asks for a new password after a temporary one, and for the password again rather than a relock', () => {
    expect(unlockErrorText({ code: 'password_change_required', message: '' }, ctx)).toMatch(
      /set by the server’s administrator.*Choose a new password/,
    );
    const again = accountErrorText({ code: 'reauthentication_required', message: '' });
    expect(again).toContain('password again');
    expect(again).not.toMatch(/[Ll]ock/);
  });

  it('tells a recovery key that does not fit the username apart from a wrong code', () => {
    expect(forgotPasswordErrorText({ code: 'invalid_credentials', message: '' }, ctx.serverUrl)).toMatch(
      /username and recovery key do not go together/,
    );
    expect(forgotPasswordErrorText({ code: 'wrong_code', message: '' }, ctx.serverUrl)).toMatch(
      /two-factor code is wrong/,
    );
  });
});

describe('labels', () => {
  it('words the auto-lock choices', () => {
    expect([1, 5, 60].map(minutesLabel)).toEqual(['1 minute', '5 minutes', '1 hour']);
  });
  it('explains automatic locks but not a plain start', () => {
    expect(lockReasonText('idle')).toMatch(/without use/);
    expect(lockReasonText('session-expired')).toMatch(/Unlock again/);
    expect(lockReasonText('close')).toBeNull();
    expect(lockReasonText(null)).toBeNull();
  });
});

describe('the lock dialog says what keeps running', () => {
  const job = (kind: 'backup' | 'restore' | 'verify', itemName: string | null, vaultName = 'USB') => ({
    kind,
    itemName,
    vaultName,
  });
  it('says nothing when nothing runs', () => {
    expect(keepsRunningText([])).toBeNull();
  });
  it('names one job, then several, each once', () => {
    expect(keepsRunningText([job('backup', 'Documents')])).toBe(
      'The backup of Documents keeps running while Strongroom is locked.',
    );
    expect(
      keepsRunningText([
        job('backup', 'Documents'),
        job('backup', 'Photos'),
        job('restore', null),
        job('backup', 'Photos'),
      ]),
    ).toBe(
      'The backup of Documents, the backup of Photos and the restore from USB keep running while Strongroom is locked.',
    );
  });
  it('words the lock the person chose in place', () => {
    expect(lockReasonText('manual-in-place')).toBe('You locked Strongroom. Unlock to go on.');
  });
});
