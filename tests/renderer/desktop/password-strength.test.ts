import { describe, expect, it } from 'vitest';
import {
  passwordStrength,
  VAULT_PASSWORD_MIN,
} from '../../../src-renderer/desktop/backups/password-strength';

describe('vault password strength hint', () => {
  it('says too short below the minimum, with the number', () => {
    const hint = passwordStrength('a'.repeat(VAULT_PASSWORD_MIN - 1));
    expect(hint.level).toBe('too-short');
    expect(hint.text).toContain(String(VAULT_PASSWORD_MIN));
  });
  it('marks down well-known passwords, runs and repeats even when long enough', () => {
    expect(passwordStrength('password123').level).toBe('weak');
    expect(passwordStrength('aaaaaaaaaaaa').level).toBe('weak');
    expect(passwordStrength('1234567890').level).toBe('weak');
    expect(passwordStrength('qwertyuiop1').level).toBe('weak');
  });
  it('calls a few unrelated words strong', () => {
    expect(['strong', 'very-strong']).toContain(passwordStrength('correct horse battery staple').level);
    expect(passwordStrength('correct horse battery staple').score).toBeGreaterThanOrEqual(3);
  });
  it('rises with length and variety', () => {
    const short = passwordStrength('tulip-lamp9').score;
    const longer = passwordStrength('tulip-lamp9-Orbit-velvet').score;
    expect(longer).toBeGreaterThan(short);
  });
});
