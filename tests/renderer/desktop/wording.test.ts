import { describe, expect, it } from 'vitest';
import { lockReasonText, minutesLabel, unlockErrorText } from '../../../src-renderer/desktop/wording';

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
