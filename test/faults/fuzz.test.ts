/**
 * Fault matrix, fuzzing: the TensorRT cache parser, the histograms.bin reader and the ONNX
 * loader each get a few thousand mutated real inputs (bounded, deterministic seeds — a failure
 * names the seed and iteration). No crash, no hang, and the only error is Int8calError naming
 * the file.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatCache, parseCache, type CalibrationCache } from '../../calibrators/cache.js';
import { decodeHistogramFile } from '../../src/run/histogram-file.js';
import { Int8calError } from '../../src/core/errors.js';
import { decodeModel } from '../../src/onnx/model-file.js';
import { OnnxRuntimeEngine } from '../../src/engines/onnxruntime.js';
import { graphInputs, graphOutputs, opTypeCounts, parameterBytes, topologicalOrder } from '../../src/onnx/graph.js';
import { DEFAULT_LINEAR_BINS } from '../../src/core/native.js';
import { calibrate } from '../../src/pipeline/calibrate.js';
import { tempFolder } from '../support/faults-cli.js';
import { fuzz, mutateBytes, prng, type Prng } from '../support/faults-fuzz.js';
import { reluSpec, writeModel, zeroSpec } from '../support/faults-models.js';
import { model, samples } from '../support/paths.js';

const { dir: work, cleanup } = await tempFolder('fuzz');
test.after(cleanup);

const ITERATIONS = 3000;
/** Several stacked mutations per input, so damage combines. */
function stacked<T>(base: readonly T[], mutate: (input: T, r: Prng) => T) {
  return (r: Prng): T => {
    let input = r.pick(base);
    for (let n = 1 + r.int(3); n > 0; n--) input = mutate(input, r);
    return input;
  };
}

/** Allows our own errors from code run on an accepted input (they need not name a file). */
function ours(run: () => void): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof Int8calError)) throw error;
  }
}

// Real inputs: a tiny model calibrated for real (both histogram modes), and the bundled fr_detect.
const tiny = await writeModel(join(work, 'zeros.onnx'), zeroSpec());
const relu = await writeModel(join(work, 'relu.onnx'), reluSpec());
const data = samples('scenes', 'calibration');
const runs = await Promise.all([
  calibrate({ model: tiny, data, out: join(work, 'exact'), maxImages: 2, batchSize: 2 }),
  calibrate({ model: relu, data, out: join(work, 'trt'), maxImages: 2, batchSize: 2, histogram: 'trt' }),
]);
const read = (run: string, file: string) => readFile(join(run, file));

test(`TensorRT cache parser: ${ITERATIONS} mutated caches`, { timeout: 60_000 }, async (t) => {
  const real = await Promise.all(runs.map((r) => read(r.runDir, 'calibration.cache').then(String)));
  // What TensorRT writes: internal names with spaces, brackets and colons; unpadded hex; CRLF.
  const trtStyle = 'TRT-8601-EntropyCalibration2\r\n(Unnamed Layer* 3) [Activation]_output: 3c8a3b7f\r\ninput.1: 3c010204\r\nconv1/Relu:0: 0\r\n';
  const texts = [...real, trtStyle];
  const lineMutation = (text: string, r: Prng): string => {
    const lines = text.split('\n');
    const i = r.int(lines.length);
    switch (r.int(6)) {
      case 0: lines.splice(i, 1); break;
      case 1: lines.splice(i, 0, lines[r.int(lines.length)]!); break;
      case 2: lines[i] = `${lines[i]}${r.pick([': ', ':', ' ', '\r', '\0', 'ffffffff', 'zz', ': 7fc00000', ': -1'])}`; break;
      case 3: lines[i] = lines[i]!.replace(/[0-9a-f]+$/i, r.pick(['', '0', '123456789', 'bf800000', '7f800000', 'xyz', '1'.repeat(40)])); break;
      case 4: lines[0] = r.pick(['', 'TRT-', 'TRT-101601-', 'TRT-abc-Entropy', 'trt-101601-EntropyCalibration2', 'TRT-99999999999999999999-X', '\uFEFFTRT-101601-EntropyCalibration2']); break;
      default: [lines[i], lines[0]] = [lines[0]!, lines[i]!];
    }
    return lines.join('\n');
  };
  const byteMutation = (text: string, r: Prng): string => Buffer.from(mutateBytes(Buffer.from(text, 'utf8'), r)).toString(r.int(2) ? 'utf8' : 'latin1');
  const stats = fuzz({
    seed: 0xcac4e,
    iterations: ITERATIONS,
    make: stacked<string>(texts, (t, r) => (r.int(2) ? lineMutation(t, r) : byteMutation(t, r))),
    target: (text) => {
      const cache = parseCache(text, 'fuzz.cache');
      for (const [name, scale] of cache.scales) assert.ok(typeof scale === 'number' && !name.includes('\n'), name);
      // An accepted cache round-trips (or is refused by the writer with our own error).
      ours(() => {
        const again = parseCache(formatCache(cache), 'fuzz.cache');
        assert.deepEqual(pairs(again), pairs(cache));
      });
    },
  });
  t.diagnostic(describe(stats));
  assert.ok(stats.accepted > 50 && stats.refused > 50, `both outcomes exercised: ${describe(stats)}`);
});

const describe = (s: ReturnType<typeof fuzz>) => `${s.accepted} accepted, ${s.refused} refused (${[...s.codes].map(([c, n]) => `${c} ${n}`).join(', ')})`;
const pairs = (c: CalibrationCache) => [c.trtVersion, c.algorithm, ...[...c.scales].map(([n, s]) => `${n}=${Object.is(s, -0) ? '-0' : s}`)];

test(`histograms.bin reader: ${ITERATIONS} mutated files (exact and trt histograms)`, { timeout: 60_000 }, async (t) => {
  const files = await Promise.all(runs.map((r) => read(r.runDir, 'histograms.bin')));
  const headerEnd = (bytes: Uint8Array) => 16 + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32LE(12);
  /** Re-encodes a file with one header field changed, so mutations get past JSON and reach the blobs. */
  const headerMutation = (bytes: Uint8Array, r: Prng): Uint8Array => {
    const buffer = Buffer.from(bytes);
    if (buffer.length < 16 || headerEnd(buffer) > buffer.length) return mutateBytes(buffer, r);
    let header: Record<string, any>;
    try {
      header = JSON.parse(buffer.toString('utf8', 16, headerEnd(buffer)));
    } catch {
      return mutateBytes(buffer, r);
    }
    const picked = Array.isArray(header.tensors) ? header.tensors[r.int(header.tensors.length || 1)] : undefined;
    const tensor = typeof picked === 'object' && picked !== null ? picked : undefined;
    const odd = r.pick([0, -1, 1e308, 2 ** 53, 0.5, NaN, null, '3', [], {}, 'trt', 'exact', 2 ** 32]);
    switch (r.int(5)) {
      case 0: if (tensor) tensor.bytes = r.pick([0, 1, tensor.bytes - 1, tensor.bytes + 1, 2 ** 31, odd]); break;
      case 1: if (typeof tensor?.stats === 'object' && tensor.stats !== null) tensor.stats[r.pick(['count', 'nanCount', 'infCount', 'zeroCount', 'absmax', 'range', 'mode'])] = odd; break;
      case 2: header[r.pick(['mode', 'linearBins', 'subBinBits', 'blobVersion', 'format', 'tensors'])] = odd; break;
      case 3: if (tensor) tensor.name = r.pick(['', '__proto__', 'constructor', header.tensors[0]?.name, 'x\ny']); break;
      default: if (Array.isArray(header.tensors)) header.tensors.reverse();
    }
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const out = Buffer.concat([buffer.subarray(0, 16), json, buffer.subarray(headerEnd(buffer))]);
    out.writeUInt32LE(json.length, 12);
    return out;
  };
  const mutate = (bytes: Uint8Array, r: Prng): Uint8Array => {
    const end = bytes.length >= 16 ? Math.min(headerEnd(bytes), bytes.length) : bytes.length;
    switch (r.int(3)) {
      case 0: return headerMutation(bytes, r);
      case 1: return mutateBytes(bytes, r, { start: end, end: bytes.length }); // the native blobs
      default: return mutateBytes(bytes, r);
    }
  };
  const stats = fuzz({
    seed: 0x4157,
    iterations: ITERATIONS,
    make: stacked<Uint8Array>(files, mutate),
    target: (bytes) => {
      const set = decodeHistogramFile(bytes, 'fuzz/histograms.bin');
      // What calibrators do next with an accepted file must not fail either.
      for (const histogram of set.tensors.values()) {
        const { range } = histogram.stats();
        if (range > 0) assert.equal(histogram.linear(DEFAULT_LINEAR_BINS, range).length, DEFAULT_LINEAR_BINS);
      }
    },
  });
  t.diagnostic(describe(stats));
  assert.ok(stats.accepted > 10 && stats.refused > 1000, describe(stats));
});

test(`ONNX loader: ${ITERATIONS} mutated fr_detect.onnx (bit flips, truncations, splices)`, { timeout: 60_000 }, async (t) => {
  const bytes = await readFile(model('fr_detect.onnx'));
  // The graph's structure (nodes, names, shapes) sits before the weights: aim half the mutations there.
  const weights = decodeModel(bytes).graph!.initializer!.reduce((sum, t) => sum + (t.rawData?.length ?? 0), 0);
  const structure = { start: 0, end: Math.max(1024, bytes.length - weights) };
  const stats = fuzz({
    seed: 0x0bbc,
    iterations: ITERATIONS,
    make: stacked<Uint8Array>([bytes], (b, r) => mutateBytes(b, r, r.int(2) ? structure : undefined)),
    target: (input) => {
      const decoded = decodeModel(input, 'fuzz/fr_detect.onnx');
      // What inspect and calibrate do next with an accepted model: our own errors at most.
      ours(() => {
        const graph = decoded.graph!;
        graphInputs(graph);
        graphOutputs(graph);
        opTypeCounts(graph);
        parameterBytes(graph);
        topologicalOrder(graph);
      });
    },
  });
  t.diagnostic(describe(stats));
  t.diagnostic(describe(stats));
  assert.ok(stats.accepted > 100 && stats.refused > 100, describe(stats));
});

test('mutated models the loader accepts then load and run in ONNX Runtime, or are refused with our error', { timeout: 60_000 }, async (t) => {
  const bytes = await readFile(model('fr_detect.onnx'));
  const weights = decodeModel(bytes).graph!.initializer!.reduce((sum, t) => sum + (t.rawData?.length ?? 0), 0);
  const structure = { start: 0, end: bytes.length - weights };
  const r = prng(0x0e7);
  let ran = 0;
  let refused = 0;
  for (let i = 0; i < 150; i++) {
    let input: Uint8Array = bytes;
    for (let n = 1 + r.int(3); n > 0; n--) input = mutateBytes(input, r, r.int(2) ? structure : undefined);
    try {
      decodeModel(input, 'fuzz/fr_detect.onnx');
    } catch {
      continue; // refused by the loader: the test above
    }
    try {
      const engine = await OnnxRuntimeEngine.create(input, { threads: 1 }, 'fuzz/fr_detect.onnx');
      try {
        const feed = engine.inputs[0]!;
        const dims = feed.dims.map((d) => (typeof d === 'number' ? d : 1));
        await engine.run({ [feed.name]: { type: 'float32', data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims } });
      } finally {
        await engine.dispose();
      }
      ran++;
    } catch (error) {
      assert.ok(error instanceof Int8calError, `iteration ${i}: ${(error as Error)?.stack ?? String(error)}`);
      refused++;
    }
  }
  t.diagnostic(`${ran} ran, ${refused} refused by ONNX Runtime`);
  assert.ok(ran > 10, `${ran} ran`);
});
