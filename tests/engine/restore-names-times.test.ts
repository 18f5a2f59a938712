/**
 * Names and times come back exactly: names up to 255 bytes under their own name, names and symlink
 * targets that are not UTF-8 byte for byte, and modification times before 1970 or with sub-second parts
 * to the microsecond (the most Node's utimes can set; the repository keeps nanoseconds).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { backup, restore, type Repository } from '../../src-engine/index';
import { newRepo, tempDir, writeFile } from './helpers';

let work: string;
let repo: Repository;
beforeAll(async () => {
  work = await tempDir('names-times');
  repo = await newRepo(path.join(work, 'repo'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

it('restores names of 227 to 255 bytes under their own name', async () => {
  const src = path.join(work, 'long');
  const names = [227, 240, 254, 255].map((n) => 'n'.repeat(n - 4) + '.txt');
  // A 255-byte name of multi-byte characters (85 × 3 bytes).
  names.push('é'.repeat(85).slice(0, 85) + '€'.repeat(28).slice(0, 28));
  for (const n of names) writeFile(path.join(src, n), `content of a ${Buffer.byteLength(n)}-byte name\n`);
  fs.mkdirSync(path.join(src, 'd'.repeat(255)));
  writeFile(path.join(src, 'd'.repeat(255), 'f'.repeat(255)), 'deep\n');
  await backup(repo, { paths: [src] });
  const target = path.join(work, 'out-long');
  const res = await restore(repo, 'latest', { target });
  for (const n of names) {
    expect(fs.readFileSync(path.join(target, src, n), 'utf8')).toBe(
      `content of a ${Buffer.byteLength(n)}-byte name\n`,
    );
  }
  expect(fs.readFileSync(path.join(target, src, 'd'.repeat(255), 'f'.repeat(255)), 'utf8')).toBe('deep\n');
  // No temporary file is left behind.
  expect(fs.readdirSync(path.join(target, src)).sort()).toEqual([...names, 'd'.repeat(255)].sort());
  expect(res.problems).toEqual([]);
});

it('backs up and restores names and symlink targets that are not UTF-8, byte for byte', async () => {
  const src = path.join(work, 'latin1');
  fs.mkdirSync(src);
  const bsrc = Buffer.from(src);
  const join = (...parts: Buffer[]) => Buffer.concat([bsrc, ...parts.flatMap((p) => [Buffer.from('/'), p])]);
  const fileName = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74, 0x78, 0x74]); // "café.txt" in Latin-1
  const dirName = Buffer.from([0x72, 0xe9, 0x73, 0x75, 0x6d, 0xe9, 0xff]); // "résumé\xff"
  const linkName = Buffer.from([0x6c, 0x69, 0x6e, 0x6b, 0x80]);
  const linkTarget = Buffer.concat([Buffer.from('../'), dirName, Buffer.from('/x\xfe', 'latin1')]);
  fs.writeFileSync(join(fileName), 'latin-1 name\n');
  fs.mkdirSync(join(dirName));
  fs.writeFileSync(join(dirName, fileName), 'inside\n');
  fs.symlinkSync(linkTarget, join(linkName));
  fs.writeFileSync(path.join(src, 'plain.txt'), 'utf-8 name\n');

  const warnings: string[] = [];
  const b = await backup(repo, { paths: [src], onProblem: (p) => warnings.push(`${p.path}: ${p.reason}`) });
  expect(warnings).toEqual([]);
  expect(b.snapshot.partial).toBe(false);

  const target = path.join(work, 'out-latin1');
  const res = await restore(repo, 'latest', { target });
  expect(res.problems).toEqual([]);
  const out = Buffer.from(path.join(target, src));
  const outJoin = (...parts: Buffer[]) =>
    Buffer.concat([out, ...parts.flatMap((p) => [Buffer.from('/'), p])]);
  const listed = fs
    .readdirSync(out, { encoding: 'buffer' })
    .map((b) => b.toString('hex'))
    .sort();
  expect(listed).toEqual(
    [fileName, dirName, linkName, Buffer.from('plain.txt')].map((b) => b.toString('hex')).sort(),
  );
  expect(fs.readFileSync(outJoin(fileName), 'utf8')).toBe('latin-1 name\n');
  expect(fs.readFileSync(outJoin(dirName, fileName), 'utf8')).toBe('inside\n');
  expect(fs.readlinkSync(outJoin(linkName), { encoding: 'buffer' }).equals(linkTarget)).toBe(true);
});

it('keeps modification times before 1970 and to the microsecond', async () => {
  const src = path.join(work, 'times');
  const cases: [string, string][] = [
    // [file, seconds as utimes takes them]
    ['moon.txt', '-14182940.123456'], // 1969-07-20
    ['early.txt', '-2000000000.5'], // 1906
    ['frac.txt', '1700000000.987654'],
  ];
  for (const [name, t] of cases) {
    writeFile(path.join(src, name), name);
    fs.utimesSync(path.join(src, name), t, t);
  }
  fs.mkdirSync(path.join(src, 'olddir'));
  fs.utimesSync(path.join(src, 'olddir'), '-86400.25', '-86400.25');
  fs.symlinkSync('moon.txt', path.join(src, 'oldlink'));
  fs.lutimesSync(path.join(src, 'oldlink'), '-3600.75', '-3600.75');
  const before = new Map(
    [...cases.map((c) => c[0]), 'olddir', 'oldlink'].map((n) => [
      n,
      fs.lstatSync(path.join(src, n), { bigint: true }).mtimeNs,
    ]),
  );
  await backup(repo, { paths: [src] });
  const target = path.join(work, 'out-times');
  const res = await restore(repo, 'latest', { target });
  for (const [name, ns] of before) {
    expect(fs.lstatSync(path.join(target, src, name), { bigint: true }).mtimeNs, name).toBe(ns);
  }
  expect(res.problems).toEqual([]);
});
