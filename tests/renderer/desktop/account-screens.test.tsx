/**
 * What the account-key screens show, rendered to markup (no effects run, and stores at their
 * initial state, as server rendering reads them): the kit dialog's content, and the vault form's
 * drive choice with its warning. The journeys in tests/e2e/desktop drive the screens for real.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { AccountKitPendingView, AccountKitView } from '../../../src-shared/ipc-contract';
import { KitBody } from '../../../src-renderer/desktop/account/account-kit-dialog';
import { VaultCreateForm } from '../../../src-renderer/desktop/backups/vault-create-form';
import {
  ServerMovedChoice,
  ServerMovedOffer,
} from '../../../src-renderer/desktop/backups/server-moved-offer';

const KIT: AccountKitView = {
  username: 'ada',
  serverUrl: 'https://backup.example.com',
  keyId: '1a2b 3c4d 5e6f 7081 92a3 b4c5 d6e7 f809',
  recoveryKey: '7KQ2-M0ZD-AB12-CD34-EF56-GH78-JK90-MN12-PQ34-RS56-TV78-WX90-YZ12-AB34',
  qrPngDataUrl: 'data:image/png;base64,AAAA',
  createdAt: '2026-12-07T18:00:00.000Z',
};

const text = (element: Parameters<typeof renderToStaticMarkup>[0]) =>
  renderToStaticMarkup(element)
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');

describe('the account recovery kit', () => {
  it('shows username, server, key id and the key in fourteen groups, with its QR and both actions', () => {
    const html = renderToStaticMarkup(
      createElement(KitBody, { kit: KIT, serverIsLocal: false, totpEnabled: false }),
    );
    const shown = text(createElement(KitBody, { kit: KIT, serverIsLocal: false, totpEnabled: false }));
    for (const part of [
      'ada',
      'https://backup.example.com',
      KIT.keyId,
      'Save recovery kit…',
      'I have saved it',
    ])
      expect(shown).toContain(part);
    expect(shown).toContain('7KQ2 M0ZD AB12 CD34 EF56 GH78 JK90 MN12 PQ34 RS56 TV78 WX90 YZ12 AB34');
    expect(html).toContain('alt="QR code of the recovery key"');
    expect(shown).not.toContain('not off-site');
  });

  it('opened again, shows no recovery key and offers to show it again with the password', () => {
    const pending: AccountKitPendingView = { ...KIT, recoveryKey: null, qrPngDataUrl: null };
    const html = renderToStaticMarkup(
      createElement(KitBody, { kit: pending, serverIsLocal: false, totpEnabled: true }),
    );
    const shown = text(createElement(KitBody, { kit: pending, serverIsLocal: false, totpEnabled: true }));
    for (const part of [
      'ada',
      KIT.keyId,
      'Show the recovery key again',
      'Save recovery kit…',
      'I have saved it',
    ])
      expect(shown).toContain(part);
    expect(shown).toContain('enter your password and a two-factor code');
    expect(shown).not.toMatch(/[0-9A-Z]{4} [0-9A-Z]{4} [0-9A-Z]{4}/);
    expect(html).not.toContain('QR code of the recovery key');
  });

  it('says the account lives on this computer, not off-site, when the server is the local one', () => {
    expect(text(createElement(KitBody, { kit: KIT, serverIsLocal: true, totpEnabled: false }))).toContain(
      'Your account and its account storage live on this computer (the local account server), not off-site',
    );
  });
});

describe('a new folder vault', () => {
  const form = () => renderToStaticMarkup(createElement(VaultCreateForm, { onCreated: () => undefined }));

  it('asks for no vault password and offers the drive password wrap with its exact warning', () => {
    const html = form();
    expect(html).not.toContain('Vault password');
    expect(html).toContain('there is no vault password to type or remember');
    expect(html).toContain('Let my password open this drive too');
    expect(html).toContain(
      'Anyone with this drive or a copy of it can try to guess your password offline; two-factor does not apply; changing your password later does not protect copies already made.',
    );
  });

  it('leaves the drive password wrap off by default for a server that is not this computer', () => {
    const box = /<input[^>]*type="checkbox"[^>]*>(?=<label[^>]*>Let my password open this drive too)/.exec(
      form(),
    )?.[0];
    expect(box).toBeDefined();
    expect(box).not.toContain('checked');
  });
});

describe("This account's server moved", () => {
  it('names the old and the new address, with a choice to move or to keep', () => {
    const move = { from: 'https://old.example.com', to: 'https://new.example.com' };
    const shown = text(createElement(ServerMovedChoice, { move, busy: false, onAnswer: () => undefined }));
    expect(shown).toContain(
      'You signed in at https://new.example.com and it opened the same account key this computer knows from https://old.example.com.',
    );
    expect(shown).toContain('Move to https://new.example.com');
    expect(shown).toContain('Keep them at https://old.example.com');
  });

  it('shows nothing when no move was found at this unlock', () => {
    expect(renderToStaticMarkup(createElement(ServerMovedOffer))).toBe('');
  });
});
