/**
 * The members of a .zip file (what numpy.savez / savez_compressed write): stored or deflated,
 * zip64 sizes understood. Enough for .npz; not a general archiver.
 */
import { inflateRawSync } from 'node:zlib';
import { Int8calError } from '../../src/core/errors.js';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Member name → uncompressed bytes, in archive order. */
export function readZip(bytes: Uint8Array, file: string): Map<string, Uint8Array> {
  const fail = (reason: string): Int8calError =>
    new Int8calError('TENSOR_FILE', `${file} is not a readable .npz (zip) archive: ${reason}`, { file, hint: 'write it with numpy.savez or numpy.savez_compressed' });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === EOCD) { end = i; break; }
  }
  if (end < 0) throw fail('no end-of-archive record');
  const entries = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const members = new Map<string, Uint8Array>();
  for (let n = 0; n < entries; n++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== CENTRAL) throw fail('damaged central directory');
    const method = view.getUint16(at + 10, true);
    let compressed = view.getUint32(at + 20, true);
    let size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let local = view.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    // zip64: the 0xFFFFFFFF fields come, in this order, from the extra field with id 1.
    for (let e = at + 46 + nameLength; e + 4 <= at + 46 + nameLength + extraLength;) {
      const id = view.getUint16(e, true);
      const length = view.getUint16(e + 2, true);
      if (id === 1) {
        let p = e + 4;
        const next = (): number => { const v = Number(view.getBigUint64(p, true)); p += 8; return v; };
        if (size === 0xffffffff) size = next();
        if (compressed === 0xffffffff) compressed = next();
        if (local === 0xffffffff) local = next();
      }
      e += 4 + length;
    }
    if (local + 30 > bytes.length || view.getUint32(local, true) !== LOCAL) throw fail(`damaged entry ${name}`);
    const dataAt = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (dataAt + compressed > bytes.length) throw fail(`entry ${name} is truncated`);
    const stored = bytes.subarray(dataAt, dataAt + compressed);
    if (method !== 0 && method !== 8) throw fail(`entry ${name} uses compression method ${method} (only stored and deflate are read)`);
    let data: Uint8Array;
    try {
      data = method === 0 ? stored : inflateRawSync(stored);
    } catch (error) {
      throw fail(`entry ${name} does not inflate: ${(error as Error).message}`);
    }
    if (data.length !== size) throw fail(`entry ${name} has ${data.length} bytes, its header says ${size}`);
    members.set(name, data);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return members;
}
