/**
 * An engine's outputs over a list of images, written on the GPU machine and compared on any
 * machine (bench/tensorrt-emulation.ts --save / --load): a new emulation can then be judged
 * against the real engine without a GPU. Format: gzip of [u32 LE header bytes][header JSON]
 * [float32 LE data, image-major, outputs in header order].
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../src/core/atomic.js';
import type { HostTensor } from '../src/engines/engine.js';

interface RecordingHeader {
  engine: string;
  images: string[];
  outputs: { name: string; dims: number[] }[];
}

export class RecordingWriter {
  private readonly chunks: Buffer[] = [];
  private readonly header: RecordingHeader;

  constructor(engine: string, outputs: readonly string[]) {
    this.header = { engine, images: [], outputs: outputs.map((name) => ({ name, dims: [] })) };
  }

  add(image: string, got: Record<string, HostTensor>): void {
    this.header.images.push(basename(image));
    for (const o of this.header.outputs) {
      const t = got[o.name]!;
      if (!(t.data instanceof Float32Array)) throw new Error(`${o.name} is ${t.type}: only float32 outputs are recorded`);
      o.dims = [...t.dims];
      this.chunks.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    }
  }

  async save(file: string): Promise<void> {
    const json = Buffer.from(JSON.stringify(this.header));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(json.length);
    await writeFileAtomic(file, gzipSync(Buffer.concat([length, json, ...this.chunks])));
  }
}

/** A recording's outputs per image (by file name), checked against the images being compared. */
export async function readRecording(file: string, images: readonly string[]): Promise<{ engine: string; outputs: Record<string, HostTensor>[] }> {
  const raw = gunzipSync(await readFile(file));
  const headerBytes = raw.readUInt32LE(0);
  const header = JSON.parse(raw.subarray(4, 4 + headerBytes).toString()) as RecordingHeader;
  const names = images.map((i) => basename(i));
  if (names.join('\n') !== header.images.join('\n')) {
    throw new Error(`${file} holds outputs for ${header.images.length} images (${header.images.slice(0, 3).join(', ')}…), not for these ${names.length}`);
  }
  let offset = 4 + headerBytes;
  const outputs = header.images.map(() => {
    const got: Record<string, HostTensor> = {};
    for (const o of header.outputs) {
      const count = o.dims.reduce((a, b) => a * b, 1);
      const data = new Float32Array(raw.buffer.slice(raw.byteOffset + offset, raw.byteOffset + offset + count * 4));
      offset += count * 4;
      got[o.name] = { type: 'float32', data, dims: o.dims };
    }
    return got;
  });
  return { engine: header.engine, outputs };
}
