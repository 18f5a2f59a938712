/** The recovery key as typed back, and the sentence that offers another computer's backups. */
import { describe, expect, it } from 'vitest';
import type { ComputerView, DirectoryVaultView } from '../../../src-shared/ipc-contract';
import {
  backupsOfferSentence,
  computersToOffer,
  connectDriveTitle,
  groupRecoveryKey,
  normalizeRecoveryKey,
  recoveryKeyProblem,
  timeAgo,
} from '../../../src-renderer/desktop/account/account-words';

const KEY = '7KQ2M0ZDAB12CD34EF56GH78JK90MN12PQ34RS56TV78WX90YZ12AB34';

const computer = (over: Partial<ComputerView>): ComputerView => ({
  computerId: 'a'.repeat(32),
  name: 'laptop',
  isThisComputer: false,
  lastBackupAt: null,
  vaultIds: [],
  itemCount: 0,
  hasProfile: true,
  ...over,
});
const vault = (over: Partial<DirectoryVaultView>): DirectoryVaultView => ({
  vaultId: 'v1',
  name: 'USB backup',
  kind: 'local',
  onThisComputer: false,
  locationHint: '/media/usb/strongroom',
  needsFolder: true,
  ...over,
});

describe('a typed recovery key', () => {
  it('ignores spaces, dashes and case, and reads I and L as 1 and O as 0', () => {
    expect(KEY).toHaveLength(56);
    const typed = groupRecoveryKey(KEY).toLowerCase().replace(/ /g, ' - ').replace('0', 'o');
    expect(normalizeRecoveryKey(typed)).toBe(KEY);
    expect(normalizeRecoveryKey('il-o')).toBe('110');
    expect(recoveryKeyProblem(typed)).toBeNull();
  });

  it('is shown in 14 groups of four, whatever separators it came with', () => {
    const grouped = groupRecoveryKey(KEY.match(/.{4}/g)!.join('-'));
    expect(grouped.split(' ')).toHaveLength(14);
    expect(grouped.startsWith('7KQ2 M0ZD AB12')).toBe(true);
  });

  it('says what is wrong before anything is sent: empty, a letter that is not there, too short', () => {
    expect(recoveryKeyProblem('  ')).toBe('Enter the recovery key from your account recovery kit.');
    expect(recoveryKeyProblem(KEY.replace('7', 'U'))).toMatch(/without U/);
    expect(recoveryKeyProblem(KEY.slice(0, 52))).toBe(
      'A recovery key is 14 groups of four characters; this one has 52 characters (13 groups). Check it against your kit.',
    );
  });
});

describe('the restore offer', () => {
  const now = new Date('2026-12-07T18:00:00Z');

  it('names the other computers with their last backup and vaults, as the issue words it', () => {
    const computers = [
      computer({ name: 'this one', isThisComputer: true, vaultIds: ['x'] }),
      computer({
        name: 'laptop',
        lastBackupAt: '2026-12-04T17:00:00Z',
        vaultIds: ['v1', 'v2'],
        itemCount: 2,
      }),
      computer({ name: 'desktop', computerId: 'b'.repeat(32) }),
    ];
    expect(backupsOfferSentence(computers, now)).toBe(
      'This account has backups from 2 computers: laptop (last backup 3 days ago, 2 vaults), desktop.',
    );
    expect(backupsOfferSentence([computers[1]!], now)).toBe(
      'This account has backups from 1 computer: laptop (last backup 3 days ago, 2 vaults).',
    );
  });

  it('offers only other computers that have vaults missing here or items to continue', () => {
    const laptop = computer({ name: 'laptop', vaultIds: ['v1'] });
    const here = computer({ name: 'here', isThisComputer: true, vaultIds: ['v1'], itemCount: 3 });
    const done = computer({ name: 'old', vaultIds: ['v2'] });
    const vaults = [vault({ vaultId: 'v1' }), vault({ vaultId: 'v2', onThisComputer: true })];
    expect(computersToOffer([laptop, here, done], vaults).map((c) => c.name)).toEqual(['laptop']);
  });

  it('asks for a drive by the vault name', () => {
    expect(connectDriveTitle(vault({}))).toBe("Connect the drive that holds 'USB backup'");
  });

  it('says how long ago coarsely', () => {
    expect(timeAgo('2026-12-07T17:59:40Z', now)).toBe('just now');
    expect(timeAgo('2026-12-07T17:00:00Z', now)).toBe('1 hour ago');
    expect(timeAgo('2026-12-06T17:00:00Z', now)).toBe('1 day ago');
  });
});
