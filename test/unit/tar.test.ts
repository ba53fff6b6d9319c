import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTar, TarFormatError, writeTar } from '../../lib/tar.ts';

const entries = [
  { name: 'sample-00000000.png', data: Buffer.from('not really a png, 33 bytes long..') },
  { name: 'sample-00000000.json', data: Buffer.from('{"label":3}') },
  { name: 'empty.txt', data: Buffer.alloc(0) },
  { name: 'block.bin', data: Buffer.alloc(512, 7) },
];

describe('tar', () => {
  it('writes archives that GNU tar lists and extracts byte for byte', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clab-tar-'));
    const file = join(dir, 'shard.tar');
    writeFileSync(file, writeTar(entries));
    expect(execFileSync('tar', ['-tf', file]).toString().trim().split('\n')).toEqual(
      entries.map((e) => e.name),
    );
    for (const entry of entries) {
      expect(execFileSync('tar', ['-xOf', file, entry.name]).equals(entry.data)).toBe(true);
    }
  });

  it('reads archives written by GNU tar in ustar format', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clab-tar-'));
    mkdirSync(join(dir, 'in'));
    writeFileSync(join(dir, 'in', 'a.json'), '{"a":1}');
    writeFileSync(join(dir, 'in', 'b.bin'), Buffer.alloc(1000, 9));
    execFileSync('tar', [
      '--format=ustar',
      '-cf',
      join(dir, 'gnu.tar'),
      '-C',
      join(dir, 'in'),
      'a.json',
      'b.bin',
    ]);
    const read = readTar(readFileSync(join(dir, 'gnu.tar')), 'gnu.tar');
    expect(read.map((e) => e.name)).toEqual(['a.json', 'b.bin']);
    expect(Buffer.from(read[1]!.data).equals(Buffer.alloc(1000, 9))).toBe(true);
  });

  it('is deterministic: the same entries give the same bytes', () => {
    expect(writeTar(entries).equals(writeTar(entries))).toBe(true);
    expect(writeTar(entries).byteLength).toBe(512 * (4 + 1 + 1 + 0 + 1) + 1024);
  });

  it('round-trips through its own reader', () => {
    const read = readTar(writeTar(entries), 'x.tar');
    expect(read.map((e) => [e.name, Buffer.from(e.data).toString('hex')])).toEqual(
      entries.map((e) => [e.name, e.data.toString('hex')]),
    );
  });

  it('reports a corrupt header or a truncated archive with the archive name and offset', () => {
    const bytes = writeTar(entries);
    const corrupt = Buffer.from(bytes);
    corrupt[0] = 0x41;
    expect(() => readTar(corrupt, 'bad.tar')).toThrowError(
      new TarFormatError('bad.tar: bad tar header checksum at offset 0'),
    );
    expect(() => readTar(bytes.subarray(0, 520), 'cut.tar')).toThrowError(
      /cut\.tar: truncated tar entry sample-00000000\.png at offset 0/,
    );
  });
});
