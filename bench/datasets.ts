/**
 * The engine benchmark's mixed dataset (~1 GiB at full size: source-like text, incompressible
 * binaries, duplicates, a large file and a copy shifted by one byte), shared with the storage
 * benchmark. Deterministic: every run builds the same bytes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const MiB = 1024 * 1024;

/** Deterministic bytes: AES-256-CTR keystream of a seed. */
export function randomBytes(seed: string, size: number): Buffer {
  const key = crypto.createHash('sha256').update(seed).digest();
  return crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

const WORDS = (
  'const let function return if else for while import export from class interface type extends implements ' +
  'async await new this null undefined true false string number boolean void Promise Array Map Set error ' +
  'value result config options request response buffer stream handler callback index length push pop ' +
  'parse stringify encode decode read write open close path file dir node module require process env'
).split(' ');

/** Source-like text: indented lines of identifiers, literals and punctuation, varied by a seeded PRNG. */
export function sourceText(seed: number, size: number): Buffer {
  let s = seed >>> 0 || 1;
  const rnd = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const parts: string[] = [];
  let n = 0;
  while (n < size) {
    const indent = '  '.repeat(rnd() % 5);
    const words = 3 + (rnd() % 8);
    let line = indent;
    for (let i = 0; i < words; i++) {
      const r = rnd();
      line += r % 7 === 0 ? `${r % 100000}` : WORDS[r % WORDS.length]!;
      line += i % 3 === 2 ? '(' : i === words - 1 ? ');' : ' ';
    }
    line += '\n';
    parts.push(line);
    n += line.length;
  }
  return Buffer.from(parts.join('').slice(0, size));
}

export interface Dataset {
  root: string;
  files: string[];
  bytes: number;
}

export function makeDataset(root: string, totalMiB: number): Dataset {
  const scale = totalMiB / 1024;
  const files: string[] = [];
  let bytes = 0;
  const put = (rel: string, data: Buffer) => {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, data);
    files.push(p);
    bytes += data.length;
  };
  // ~300 MiB of source-like text in ~4000 files of 2-150 KiB, over a few hundred directories.
  const textCount = Math.round(4000 * scale);
  for (let i = 0; i < textCount; i++) {
    const size = 2048 + ((i * 2654435761) % (150 * 1024));
    put(`src/pkg${i % 40}/mod${(i >> 3) % 12}/file${i}.ts`, sourceText(i + 1, size));
  }
  // ~320 MiB of incompressible binaries: 40 x 8 MiB.
  const binCount = Math.max(1, Math.round(40 * scale));
  for (let i = 0; i < binCount; i++) put(`media/blob${i}.bin`, randomBytes(`bin ${i}`, 8 * MiB));
  // ~100 MiB of duplicates: 10 binaries and 200 text files copied elsewhere.
  for (let i = 0; i < Math.max(1, Math.round(10 * scale)); i++) {
    put(`backup-copy/media/blob${i}.bin`, fs.readFileSync(path.join(root, `media/blob${i}.bin`)));
  }
  for (let i = 0; i < Math.round(200 * scale); i++) {
    put(
      `backup-copy/src/file${i}.ts`,
      fs.readFileSync(path.join(root, `src/pkg${i % 40}/mod${(i >> 3) % 12}/file${i}.ts`)),
    );
  }
  // A large file (half text, half random) and a copy shifted by one inserted byte: 2 x 128 MiB.
  const largeHalf = Math.round(64 * scale) * MiB;
  const large = Buffer.concat([sourceText(999_999, largeHalf), randomBytes('large', largeHalf)]);
  put('vm/disk.img', large);
  put('vm/disk-shifted.img', Buffer.concat([Buffer.from([0x42]), large]));
  return { root, files, bytes };
}
