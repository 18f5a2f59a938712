import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { PasswordField } from '../../src-renderer/components/password-field';

const noop = () => {};

describe('PasswordField', () => {
  it('renders the same markup as the hand-written field it replaced (with hint)', () => {
    const before = renderToStaticMarkup(
      <div className="sr-field">
        <label htmlFor="pw-new">New password</label>
        <input
          id="pw-new"
          type="password"
          autoComplete="new-password"
          value="x"
          onChange={noop}
          disabled={false}
          aria-describedby="pw-new-hint"
          required
        />
        <span id="pw-new-hint" className="sr-hint">
          At least 8 characters.
        </span>
      </div>,
    );
    const after = renderToStaticMarkup(
      createElement(PasswordField, {
        id: 'pw-new',
        label: 'New password',
        autoComplete: 'new-password',
        value: 'x',
        onChange: noop,
        hint: 'At least 8 characters.',
        disabled: false,
        required: true,
      }),
    );
    expect(normalise(after)).toBe(normalise(before));
  });

  it('has no hint and no aria-describedby when no hint is given', () => {
    const html = renderToStaticMarkup(
      createElement(PasswordField, {
        id: 'p',
        label: 'Password',
        autoComplete: 'current-password',
        value: '',
        onChange: noop,
      }),
    );
    expect(html).toBe(
      '<div class="sr-field"><label for="p">Password</label>' +
        '<input id="p" type="password" autoComplete="current-password" value=""/></div>',
    );
  });
});

/** Attribute order is not behaviour: sort each tag's attributes before comparing. */
function normalise(html: string): string {
  return html.replace(/<(\w+)([^>]*?)(\/?)>/g, (_m, tag: string, attrs: string, slash: string) => {
    const list = attrs.match(/[\w-]+(="[^"]*")?/g) ?? [];
    return `<${tag} ${[...list].sort().join(' ')}${slash}>`;
  });
}
