import { InputError } from './input-error.ts';

/**
 * A minimal POSIX ustar writer and reader for WebDataset shards. The writer is deterministic: every
 * header field that is not the name or the size is fixed (mode 0644, owner 0, mtime 0), so the same
 * entries always give the same bytes.
 */
export interface TarEntry {
  name: string;
  data: Uint8Array;
}

const BLOCK = 512;

export class TarFormatError extends InputError {
  override readonly name = 'TarFormatError';
}

export function tarSize(entries: readonly TarEntry[]): number {
  return entries.reduce((n, e) => n + BLOCK + padded(e.data.byteLength), 2 * BLOCK);
}

export function writeTar(entries: readonly TarEntry[]): Buffer {
  const out = Buffer.alloc(tarSize(entries));
  let offset = 0;
  for (const entry of entries) {
    writeHeader(out.subarray(offset, offset + BLOCK), entry.name, entry.data.byteLength);
    offset += BLOCK;
    out.set(entry.data, offset);
    offset += padded(entry.data.byteLength);
  }
  return out; // the two zero blocks that end the archive are already zero
}

export function readTar(bytes: Uint8Array, name: string): TarEntry[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: TarEntry[] = [];
  let offset = 0;
  while (offset + BLOCK <= buf.byteLength) {
    const header = buf.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) return entries;
    const stored = parseOctal(header.subarray(148, 156));
    if (checksum(header) !== stored)
      throw new TarFormatError(`${name}: bad tar header checksum at offset ${offset}`);
    const entryName = cString(header.subarray(0, 100));
    const size = parseOctal(header.subarray(124, 136));
    const start = offset + BLOCK;
    if (start + size > buf.byteLength) {
      throw new TarFormatError(
        `${name}: truncated tar entry ${entryName} at offset ${offset}: needs ${size} bytes`,
      );
    }
    if (header[156] === 0x30 || header[156] === 0)
      entries.push({ name: entryName, data: buf.subarray(start, start + size) });
    offset = start + padded(size);
  }
  throw new TarFormatError(
    `${name}: tar archive ends at offset ${offset} without its end-of-archive blocks`,
  );
}

function writeHeader(header: Buffer, name: string, size: number): void {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.byteLength > 100)
    throw new TarFormatError(`tar entry name longer than 100 bytes: ${name}`);
  header.set(nameBytes, 0);
  header.write('0000644\0', 100, 'ascii'); // mode
  header.write('0000000\0', 108, 'ascii'); // uid
  header.write('0000000\0', 116, 'ascii'); // gid
  header.write(size.toString(8).padStart(11, '0') + '\0', 124, 'ascii');
  header.write('00000000000\0', 136, 'ascii'); // mtime
  header.write('0', 156, 'ascii'); // regular file
  header.write('ustar\0' + '00', 257, 'ascii');
  header.write(checksum(header).toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
}

/** The ustar checksum: the byte sum of the header with its checksum field read as spaces. */
function checksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum;
}

function parseOctal(field: Uint8Array): number {
  const text = cString(field).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function cString(field: Uint8Array): string {
  const end = field.indexOf(0);
  return Buffer.from(field.subarray(0, end === -1 ? field.length : end)).toString('utf8');
}

function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}
