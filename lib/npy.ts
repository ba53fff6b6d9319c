import { InputError } from './input-error.ts';
import { featureMatrix, type FeatureMatrix } from './metrics/feature-matrix.ts';

/**
 * Reads a 2-D float32 or float64 matrix from NumPy's .npy format (version 1, 2 or 3): the magic
 * `\x93NUMPY`, two version bytes, a little-endian header length (2 bytes in v1, 4 in v2/3), a
 * Python-literal header dict {'descr', 'fortran_order', 'shape'}, then the C-order data.
 * `name` (the file) is named in every error.
 */
export function parseNpyMatrix(bytes: Uint8Array, name: string): FeatureMatrix {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.byteLength < 10 || buf.subarray(0, 6).toString('latin1') !== '\x93NUMPY') {
    throw new InputError(`${name}: not a .npy file (it does not start with \\x93NUMPY)`);
  }
  const major = buf[6]!;
  if (major < 1 || major > 3)
    throw new InputError(`${name}: unsupported .npy version ${major}.${buf[7]}`);
  const headerLength = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const dataOffset = (major === 1 ? 10 : 12) + headerLength;
  if (buf.byteLength < dataOffset)
    throw new InputError(
      `${name}: truncated .npy header (needs ${dataOffset} bytes, file has ${buf.byteLength})`,
    );
  const header = buf
    .subarray(major === 1 ? 10 : 12, dataOffset)
    .toString(major === 3 ? 'utf8' : 'latin1');

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new InputError(`${name}: malformed .npy header: ${header.trim()}`);
  }
  const bytesPerValue = descr === '<f4' ? 4 : descr === '<f8' ? 8 : 0;
  if (bytesPerValue === 0)
    throw new InputError(
      `${name}: dtype ${descr} is not supported; expected little-endian float32 (<f4) or float64 (<f8)`,
    );
  if (fortran === 'True')
    throw new InputError(
      `${name}: Fortran-ordered arrays are not supported; save with np.ascontiguousarray`,
    );
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (shape.length !== 2 || shape.some((d) => !Number.isInteger(d))) {
    throw new InputError(
      `${name}: expected a 2-D matrix (one row per sample), got shape (${shapeText})`,
    );
  }
  const [rows, cols] = shape as [number, number];
  const needed = rows * cols * bytesPerValue;
  if (buf.byteLength - dataOffset !== needed) {
    throw new InputError(
      `${name}: shape (${rows}, ${cols}) of ${descr} needs ${needed} data bytes from offset ${dataOffset}, the file has ${buf.byteLength - dataOffset}`,
    );
  }
  const data = bytesPerValue === 4 ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  const view = new DataView(buf.buffer, buf.byteOffset + dataOffset, needed);
  for (let i = 0; i < data.length; i++)
    data[i] = bytesPerValue === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
  return featureMatrix(rows, cols, data);
}

/** Writes a float32 or float64 matrix as .npy version 1.0 (the inverse of parseNpyMatrix). */
export function writeNpyMatrix(m: FeatureMatrix): Buffer {
  const descr = m.data instanceof Float32Array ? '<f4' : '<f8';
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${m.rows}, ${m.cols}), }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), data]);
}
