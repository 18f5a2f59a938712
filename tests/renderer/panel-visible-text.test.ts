/**
 * The panel shows names it did not check with every control and text-direction character made
 * visible, and nothing else changed: a Hebrew or accented name stays as it was written.
 */
import { describe, expect, it } from 'vitest';
import { deviceName, hasUnsafeDisplayChars } from '../../src-shared/http-api';
import { visibleText } from '../../src-renderer/panel/format';

describe('visibleText', () => {
  it('shows each control and text-direction character as its code point', () => {
    expect(visibleText('nas\u202Egnp.exe')).toBe('nas⟨U+202E⟩gnp.exe');
    expect(visibleText('a\u2066b\u2069c\u200E\u200F\u061C')).toBe(
      'a⟨U+2066⟩b⟨U+2069⟩c⟨U+200E⟩⟨U+200F⟩⟨U+061C⟩',
    );
    expect(visibleText('tab\there\nnul\u0000c1\u0085ls\u2028')).toBe(
      'tab⟨U+0009⟩here⟨U+000A⟩nul⟨U+0000⟩c1⟨U+0085⟩ls⟨U+2028⟩',
    );
    // Twice in a row: the global pattern keeps no state between calls.
    expect(visibleText('\u202E')).toBe('⟨U+202E⟩');
    expect(visibleText('\u202E')).toBe('⟨U+202E⟩');
  });

  it('leaves ordinary names alone, right-to-left scripts included', () => {
    for (const name of ['Zoë’s laptop', 'מחשב נייד', 'ノートPC', 'laptop 💻', 'a\u00A0b']) {
      expect(visibleText(name)).toBe(name);
      expect(hasUnsafeDisplayChars(name)).toBe(false);
      expect(deviceName.safeParse(name).success).toBe(true);
    }
  });
});
