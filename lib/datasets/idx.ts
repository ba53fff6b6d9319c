import { InputError } from '../input-error.ts';

/**
 * The IDX format of (Fashion-)MNIST: a 4-byte magic `0x00 0x00 <type> <ndims>`, then `ndims`
 * big-endian uint32 dimension sizes, then the row-major data. Only unsigned bytes (type 0x08), the
 * type every MNIST-family file uses, are accepted.
 */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

export class IdxFormatError extends InputError {
  override readonly name = 'IdxFormatError';
}

/** Parses an uncompressed IDX file; `name` (the file's path) is named in every error. */
export function parseIdx(bytes: Uint8Array, name: string, expectedDims: number): IdxArray {
  if (bytes.byteLength < 4) {
    throw new IdxFormatError(
      `${name}: truncated IDX header: ${bytes.byteLength} bytes, need at least 4 at offset 0`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const expectedMagic = (UBYTE << 8) | expectedDims;
  if (magic !== expectedMagic) {
    throw new IdxFormatError(
      `${name}: wrong IDX magic number at offset 0: expected 0x${hex(expectedMagic)} (unsigned bytes, ${expectedDims} dimensions), got 0x${hex(magic)}`,
    );
  }
  const headerBytes = 4 + 4 * expectedDims;
  if (bytes.byteLength < headerBytes) {
    throw new IdxFormatError(
      `${name}: truncated IDX header: ${bytes.byteLength} bytes, the ${expectedDims} dimension sizes end at offset ${headerBytes}`,
    );
  }
  const dims = Array.from({ length: expectedDims }, (_, i) => view.getUint32(4 + 4 * i));
  const dataBytes = dims.reduce((a, b) => a * b, 1);
  const available = bytes.byteLength - headerBytes;
  if (available < dataBytes) {
    throw new IdxFormatError(
      `${name}: truncated IDX data: dimensions ${dims.join('x')} need ${dataBytes} bytes from offset ${headerBytes}, the file ends after ${available} (at offset ${bytes.byteLength})`,
    );
  }
  if (available > dataBytes) {
    throw new IdxFormatError(
      `${name}: ${available - dataBytes} unexpected bytes after the IDX data, from offset ${headerBytes + dataBytes}`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes, headerBytes + dataBytes) };
}

function hex(value: number): string {
  return value.toString(16).padStart(8, '0');
}
