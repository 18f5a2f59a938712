/**
 * A strength hint for a new vault password. It cannot know how a password was chosen, so it
 * estimates a guesser's work from length and character variety, and marks down the patterns
 * guessers try first (one repeated character, runs like "12345", well-known passwords). A hint
 * to help a person choose, not a gate: the form's only hard rule is the minimum length.
 */
export type StrengthLevel = 'too-short' | 'weak' | 'fair' | 'strong' | 'very-strong';

export interface StrengthHint {
  level: StrengthLevel;
  /** 0..4, for the meter. */
  score: number;
  text: string;
}

/** A new vault password must be at least this long (the form refuses shorter ones). */
export const VAULT_PASSWORD_MIN = 10;

const COMMON = [
  'password',
  'passwort',
  'motdepasse',
  'qwerty',
  'azerty',
  'letmein',
  'welcome',
  'iloveyou',
  'admin',
  'backup',
  'strongroom',
  'dragon',
  'monkey',
  'abc123',
  '123456',
];
const SEQUENCES = ['0123456789', 'abcdefghijklmnopqrstuvwxyz', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm'];

function poolSize(password: string): number {
  let pool = 0;
  if (/[a-z]/.test(password)) pool += 26;
  if (/[A-Z]/.test(password)) pool += 26;
  if (/\d/.test(password)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(password)) pool += 33;
  return pool;
}

/** Characters that add little: the rest of a run such as "aaaa" or "1234" or "qwer". */
function predictableCount(password: string): number {
  const lower = password.toLowerCase();
  let predictable = 0;
  for (let i = 1; i < lower.length; i++) {
    const prev = lower[i - 1]!;
    const here = lower[i]!;
    const pair = prev + here;
    if (prev === here || SEQUENCES.some((s) => s.includes(pair))) predictable++;
  }
  return predictable;
}

/** Rough bits of work for a guesser. */
export function estimateBits(password: string): number {
  if (!password) return 0;
  const lower = password.toLowerCase();
  let effective = password.length - predictableCount(password) * 0.75;
  for (const word of COMMON) if (lower.includes(word)) effective -= word.length - 1;
  effective = Math.max(1, effective);
  return effective * Math.log2(Math.max(poolSize(password), 2));
}

export function passwordStrength(password: string): StrengthHint {
  if (password.length < VAULT_PASSWORD_MIN)
    return {
      level: 'too-short',
      score: 0,
      text: `Too short: use at least ${VAULT_PASSWORD_MIN} characters. A few unrelated words make a strong password that is easy to remember.`,
    };
  const bits = estimateBits(password);
  if (bits < 45)
    return {
      level: 'weak',
      score: 1,
      text: 'Weak: easy to guess. Add more words or characters, and avoid names, dates and well-known passwords.',
    };
  if (bits < 65)
    return {
      level: 'fair',
      score: 2,
      text: 'Fair. A few more words or characters would make it much stronger.',
    };
  if (bits < 90) return { level: 'strong', score: 3, text: 'Strong.' };
  return { level: 'very-strong', score: 4, text: 'Very strong.' };
}
