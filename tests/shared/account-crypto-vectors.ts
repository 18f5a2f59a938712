/**
 * Known answers for the account's key derivation, checked in Node (account-crypto.test.ts) and in
 * the panel's bundle in Chromium. Argon2id: the reference implementation's vectors without secret
 * or associated data (phc-winner-argon2 test.c; the Debian `argon2` tool gives the same). HKDF:
 * RFC 5869 test case 3 (SHA-256, empty salt and info).
 */
export const ARGON2ID_VECTORS = [
  {
    password: 'password',
    salt: 'somesalt',
    m: 65536,
    t: 2,
    hex: '09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7',
  },
  {
    password: 'password',
    salt: 'somesalt',
    m: 65536,
    t: 3,
    hex: '9e8789c8b42834220afc00085ac73acc308651216994abbfddd69b2592032efd',
  },
  {
    password: 'correct horse',
    salt: 'saltsaltsaltsalt',
    m: 65536,
    t: 3,
    hex: '332541e4192860aa42935c10c48d64793839c579a782b7c5baeff2d7c197d1f4',
  },
] as const;

export const HKDF_RFC5869_CASE3 = {
  ikmHex: '0b'.repeat(22),
  info: '',
  length: 42,
  okmHex: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
} as const;
