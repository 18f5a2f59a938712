import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ErrorMessage } from '../../src-renderer/components/error-message';
import { RecoveryCodesView } from '../../src-renderer/components/recovery-codes-view';
import {
  groupKey,
  recoveryCodesFileName,
  recoveryCodesFileText,
  sanitizeTotpCode,
} from '../../src-renderer/components/secret-format';
import { TotpCodeInput } from '../../src-renderer/components/totp-code-input';
import { UsernameField } from '../../src-renderer/components/username-field';

describe('secret formatting', () => {
  it('groups a base32 key by four and drops padding', () => {
    expect(groupKey('jbswy3dpehpk3pxp')).toBe('JBSW Y3DP EHPK 3PXP');
    expect(groupKey('JBSWY3DPEHPK3PXPAB==')).toBe('JBSW Y3DP EHPK 3PXP AB');
  });
  it('keeps only six digits of what is typed or pasted', () => {
    expect(sanitizeTotpCode('123 456')).toBe('123456');
    expect(sanitizeTotpCode('12-34-56-78')).toBe('123456');
    expect(sanitizeTotpCode('abc')).toBe('');
  });
  it('writes every code into the download, and a safe file name', () => {
    const text = recoveryCodesFileText(
      ['aaaa-bbbb-cc', 'dddd-eeee-ff'],
      'alice',
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(text).toContain('for alice');
    expect(text.split('\n')).toEqual(expect.arrayContaining(['aaaa-bbbb-cc', 'dddd-eeee-ff']));
    expect(recoveryCodesFileName('../evil name')).toBe('strongroom-recovery-codes-evil-name.txt');
    expect(recoveryCodesFileName(undefined)).toBe('strongroom-recovery-codes.txt');
  });
});

describe('shared components (server-rendered markup)', () => {
  it('UsernameField shows its error under itself and is described and marked invalid by it', () => {
    const onChange = () => undefined;
    const wrong = renderToStaticMarkup(
      createElement(UsernameField, { id: 'u', value: '', onChange, error: 'Enter your username.' }),
    );
    expect(wrong).toContain('aria-invalid="true"');
    expect(wrong).toContain('aria-describedby="u-error"');
    expect(wrong).toMatch(/<p class="sr-field-error" id="u-error">Enter your username.<\/p>/);
    const fixed = renderToStaticMarkup(createElement(UsernameField, { id: 'u', value: 'ann', onChange }));
    expect(fixed).not.toContain('aria-invalid');
    expect(fixed).not.toContain('u-error');
  });
  it('TotpCodeInput is a labelled numeric one-time-code field', () => {
    const html = renderToStaticMarkup(
      createElement(TotpCodeInput, { value: '12', onChange: () => {}, id: 'c' }),
    );
    expect(html).toContain('<label for="c">Two-factor code (TOTP)</label>');
    expect(html).toContain('inputMode="numeric"');
    expect(html).toContain('autoComplete="one-time-code"');
  });
  it('ErrorMessage is an alert, and a throttled one counts from retryAfterSeconds', () => {
    const plain = renderToStaticMarkup(
      createElement(ErrorMessage, { error: { code: 'wrong_code', message: 'Wrong code.' } }),
    );
    expect(plain).toBe('<div role="alert" class="sr-error">Wrong code.</div>');
    const throttled = renderToStaticMarkup(
      createElement(ErrorMessage, { error: { code: 'throttled', message: 'x', retryAfterSeconds: 42 } }),
    );
    expect(throttled.replace(/<[^>]+>/g, '')).toBe('Too many attempts. Try again in 42 s.');
    expect(renderToStaticMarkup(createElement(ErrorMessage, { error: null }))).toBe('');
  });
  it('RecoveryCodesView lists every code with Copy, Download and the warning', () => {
    const html = renderToStaticMarkup(
      createElement(RecoveryCodesView, { codes: ['one-code-aaaa', 'two-code-bbbb'], onDone: () => {} }),
    );
    expect(html).toContain('Store these now; they will not be shown again.');
    expect(html).toContain('one-code-aaaa');
    expect(html).toContain('two-code-bbbb');
    expect(html).toContain('aria-label="Copy recovery codes"');
    expect(html).toContain('aria-label="Download recovery codes"');
  });
});
