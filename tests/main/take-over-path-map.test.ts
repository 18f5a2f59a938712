/** How "Continue … on this computer" maps the other computer's folders to this one's. */
import { describe, expect, it } from 'vitest';
import { mapPath } from '../../src-main/services/account-vaults/computer-profile-service';

describe('mapPath', () => {
  const map = [
    { from: '/home/ann', to: '/Users/ann' },
    { from: '/home/ann/Pictures/', to: '/Volumes/Photos' },
    { from: 'C:\\Users\\ann', to: '/home/ann' },
  ];

  it('moves a folder and everything under it, the longest match first', () => {
    expect(mapPath('/home/ann', map)).toBe('/Users/ann');
    expect(mapPath('/home/ann/docs/a.txt', map)).toBe('/Users/ann/docs/a.txt');
    expect(mapPath('/home/ann/Pictures/2024', map)).toBe('/Volumes/Photos/2024');
    expect(mapPath('C:\\Users\\ann\\Documents\\a.txt', map)).toBe('/home/ann/Documents/a.txt');
    expect(mapPath('/home/ann/x/y', [{ from: '/home/ann', to: 'D:\\ann' }])).toBe('D:\\ann\\x\\y');
  });

  it('leaves a path no entry covers, and never matches on a name prefix', () => {
    expect(mapPath('/home/anna/docs', map)).toBeNull();
    expect(mapPath('/srv/data', map)).toBeNull();
    expect(mapPath('/anything', [{ from: '/', to: '/x' }])).toBeNull();
  });
});
