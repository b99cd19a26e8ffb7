import { finishStage } from '../../src/run/manifest.js';
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Command } from 'commander';
import { formatCache } from '../../calibrators/cache.js';
import { registerBuild } from '../../src/cli/build.js';
import { SUPERVISED_ENV } from '../../src/cli/supervise.js';
import { OnnxRuntimeEngine } from '../../src/engines/onnxruntime.js';
import { ortInt8Kernels, resolveOrtWeightBits } from '../../src/engines/ort-int8-kernels.js';
import type { CpuFeatures } from '../../src/core/native.js';
import { Int8calError } from '../../src/core/errors.js';
import { loadModel, saveModel } from '../../src/onnx/model-file.js';
import { DataType } from '../../src/onnx/proto.js';
import { intValues } from '../../src/onnx/upgrade/tensors.js';
import { build, type BuildJson } from '../../src/pipeline/build.js';
import { RUN_FILES, runPath } from '../../src/run/layout.js';
import type { CalibrationResult } from '../../src/run/schema.js';
import { calibrated } from '../onnx/helpers/calibrated.js';
import { checkWithOnnx } from '../onnx/helpers/onnx-checker.js';
import { assertQdqStructure, ORT_BITS_HERE } from '../onnx/helpers/qdq-checks.js';
import { SAMPLE_MODELS } from '../onnx/helpers/sample-models.js';

const model = SAMPLE_MODELS.find((m) => m.file === 'fr_detect.onnx')!;
const root = await mkdtemp(join(tmpdir(), 'int8cal-build-'));
after(() => rm(root, { recursive: true, force: true }));

let amax: Map<string, number>;
const exists = (path: string) => access(path).then(() => true, () => false);
const readJson = async <T>(path: string) => JSON.parse(await readFile(path, 'utf8')) as T;

function calibration(values: Map<string, number>): CalibrationResult {
  const tensors: CalibrationResult['tensors'] = {};
  for (const [name, a] of values) {
    tensors[name] = {
      amax: a, scale: a > 0 ? Math.fround(a / 127) : 1e-30, calibrator: 'minmax', fractionClipped: 0,
      count: 1, nanCount: 0, infCount: 0, absMax: a, flags: a > 0 ? [] : ['all-zero'],
    };
  }
  return { schema: 'int8cal/calibration', version: 1, calibrator: 'minmax', histogram: 'none', cacheHeader: { trtVersion: 101601, algorithm: 'EntropyCalibration2' }, tensors };
}

/** A run directory as `calibrate` leaves it: model.fp32.onnx + calibration.json. */
async function makeRun(name: string): Promise<string> {
  const run = join(root, name);
  const { fp32 } = await calibrated(model);
  await mkdir(run, { recursive: true });
  await saveModel(fp32, runPath(run, 'fp32'));
  await writeFile(runPath(run, 'calibration'), JSON.stringify(calibration(amax)));
  // Vouched as a completed calibrate (run/manifest.ts), as calibrate itself would.
  await finishStage(run, 'calibrate', ['fp32', 'calibration'], []);
  return run;
}

before(async () => {
  amax = (await calibrated(model)).amax;
});

describe('build()', () => {
  test('writes the three variants and build.json, and removes stale results', async () => {
    const run = await makeRun('defaults');
    await writeFile(runPath(run, 'results'), '{}');
    const progress: string[] = [];
    const result = await build({ run, onProgress: (e) => progress.push(e.stage) });
    for (const file of ['model.int8.onnx', 'model.int8-ort.onnx', 'fp16', 'build'] as const) assert.ok(await exists(runPath(run, file)), file);
    assert.ok(!(await exists(runPath(run, 'results'))), 'results.json described other models');
    assert.deepEqual(result.built.map((b) => b.name), ['fp16', 'int8', 'int8-ort']);
    assert.ok(progress.includes('build int8-ort'));
    const json = await readJson<BuildJson>(runPath(run, 'build'));
    assert.equal(json.schema, 'int8cal/build');
    assert.equal(json.opset, 13);
    assert.equal(json.variants.int8?.placement, 'tensorrt');
    assert.equal(json.variants['int8-ort']?.placement, 'ort-cpu');
    assert.equal(json.variants.fp16?.emulated, true);
    assert.equal(json.variants.int8?.scales?.source, 'calibration');
    assert.equal(json.variants.int8?.report?.quantized.filter((q) => q.opType === 'Conv').length, 52, 'every Conv');
    assert.equal(json.variants['int8-ort']?.report?.activationType, 'uint8');
    for (const [file, placement] of [['model.int8.onnx', 'tensorrt'], ['model.int8-ort.onnx', 'ort-cpu']] as const) {
      const built = await loadModel(runPath(run, file));
      assertQdqStructure(built, placement);
      await checkWithOnnx(runPath(run, file));
      const engine = await OnnxRuntimeEngine.create(runPath(run, file), { rewrites: 'full' });
      await engine.dispose();
    }
    await checkWithOnnx(runPath(run, 'fp16'));
  });

  test('is deterministic: a second build writes byte-identical models', async () => {
    const run = await makeRun('twice');
    await build({ run });
    const first = await Promise.all((['model.int8.onnx', 'model.int8-ort.onnx', 'fp16'] as const).map((f) => readFile(runPath(run, f))));
    await build({ run });
    const second = await Promise.all((['model.int8.onnx', 'model.int8-ort.onnx', 'fp16'] as const).map((f) => readFile(runPath(run, f))));
    second.forEach((bytes, i) => assert.ok(bytes.equals(first[i]!), `variant ${i} differs`));
  });

  test('precisions/targets select the variants; build.json keeps the earlier ones; --exclude is recorded', async () => {
    const run = await makeRun('select');
    await build({ run, precisions: ['fp16'] });
    assert.ok(!(await exists(runPath(run, 'model.int8.onnx'))));
    const result = await build({ run, precisions: ['int8'], targets: ['ort-cpu'], exclude: ['Conv_0', 'Softmax'] });
    assert.deepEqual(result.built.map((b) => b.name), ['int8-ort']);
    assert.ok(!(await exists(runPath(run, 'model.int8.onnx'))));
    const json = await readJson<BuildJson>(runPath(run, 'build'));
    assert.deepEqual(Object.keys(json.variants).sort(), ['fp16', 'int8-ort']);
    assert.deepEqual(json.variants['int8-ort']?.options?.exclude, ['Conv_0', 'Softmax']);
    const excluded = json.variants['int8-ort']!.report!.excluded.find((e) => e.node === 'Conv_0');
    assert.deepEqual([excluded?.excludedByUser, excluded?.pattern], [true, 'Conv_0']);
    assertQdqStructure(await loadModel(runPath(run, 'model.int8-ort.onnx')), 'ort-cpu', ['Conv_0']);
  });

  test('--cache: scales from a TensorRT calibration cache (amax = scale · 127)', async () => {
    const run = await makeRun('cache');
    const cachePath = join(root, 'trt.cache');
    const scales = new Map([...amax].map(([name, a]) => [name, Math.fround(a / 127)]));
    scales.set('a tensor TensorRT made up', 0.5);
    await writeFile(cachePath, formatCache({ trtVersion: 101601, algorithm: 'EntropyCalibration2', scales }));
    const fromCalibration = await build({ run, precisions: ['int8'] });
    const fromCache = await build({ run, precisions: ['int8'], cache: cachePath });
    assert.equal(fromCache.built[0]!.scales?.source, 'cache');
    assert.equal(fromCache.built[0]!.scales?.calibrator, 'EntropyCalibration2');
    fromCache.built.forEach((b, i) => assert.deepEqual(b.report?.quantized, fromCalibration.built[i]!.report?.quantized));
  });

  test('--ort-weight-bits: ort-cpu weights in [−127, 127] with 8, [−63, 63] with 7, this CPU\'s by default; TensorRT always 8 bits', async () => {
    const run = await makeRun('weight-bits');
    const widest = async (file: 'model.int8.onnx' | 'model.int8-ort.onnx') => {
      const m = await loadModel(runPath(run, file));
      const weights = (m.graph!.initializer ?? []).filter((t) => t.dataType === DataType.INT8 && (t.dims ?? []).length > 1);
      let max = 0;
      for (const t of weights) for (const v of intValues(t)) max = Math.max(max, Math.abs(Number(v)));
      return max;
    };
    const bitsOf = (result: Awaited<ReturnType<typeof build>>) => result.built.find((b) => b.name === 'int8-ort')!.options?.ortWeightBits;
    const eight = await build({ run, precisions: ['int8'], ortWeightBits: 8 });
    assert.deepEqual([await widest('model.int8.onnx'), await widest('model.int8-ort.onnx')], [127, 127]);
    assert.equal(bitsOf(eight), 8);
    const seven = await build({ run, precisions: ['int8'], ortWeightBits: 7 });
    assert.deepEqual([await widest('model.int8.onnx'), await widest('model.int8-ort.onnx')], [127, 63]);
    assert.ok(seven.built.find((b) => b.name === 'int8-ort')!.report!.notes.some((n) => /7 bits/.test(n)));
    // The default is what this machine's kernels need: 7 bits on x86 without VNNI.
    assert.equal(bitsOf(await build({ run, precisions: ['int8'] })), ORT_BITS_HERE);
    assert.equal(await widest('model.int8-ort.onnx'), ORT_BITS_HERE === 7 ? 63 : 127);
    await assert.rejects(build({ run, ortWeightBits: 6 as 7 }), { code: 'INVALID_PARAMETER' });
  });

  test('ONNX Runtime\'s int8 kernel family follows MLAS\'s cpuid order', () => {
    const cpu = (f: Partial<CpuFeatures>): CpuFeatures => ({ x86: true, avx2: true, avxVnni: false, avx512Core: false, avx512Vnni: false, ...f });
    assert.equal(ortInt8Kernels(cpu({})), 'int16-pairs', 'AVX2 (Zen 2/3, Haswell…): vpmaddubsw');
    assert.equal(ortInt8Kernels(cpu({ avxVnni: true })), 'vnni');
    assert.equal(ortInt8Kernels(cpu({ avxVnni: true, avx512Core: true })), 'int16-pairs', 'AVX-512 core replaces AVX-VNNI');
    assert.equal(ortInt8Kernels(cpu({ avx512Core: true, avx512Vnni: true })), 'vnni');
    assert.equal(ortInt8Kernels(cpu({ x86: false, avx2: false })), 'not-x86');
    assert.equal(resolveOrtWeightBits('auto', () => 'int16-pairs'), 7);
    assert.equal(resolveOrtWeightBits('auto', () => 'not-x86'), 8);
    assert.equal(resolveOrtWeightBits(8, () => 'int16-pairs'), 8);
  });

  test('bad options and missing inputs are user errors', async () => {
    const run = await makeRun('errors');
    const code = (error: unknown) => (error instanceof Int8calError ? error.code : String(error));
    await assert.rejects(build({ run, precisions: ['int4' as 'int8'] }), (e) => code(e) === 'INVALID_PARAMETER');
    await assert.rejects(build({ run, targets: ['tensorrt', 'gpu' as 'tensorrt'] }), (e) => code(e) === 'INVALID_PARAMETER');
    await assert.rejects(build({ run, exclude: ['/(/'] }), (e) => code(e) === 'INVALID_PARAMETER');
    await rm(runPath(run, 'calibration'));
    await assert.rejects(build({ run }), (e) => code(e) === 'RUN_FILE_MISSING');
    await assert.rejects(build({ run: join(root, 'nothing-here') }), (e) => code(e) === 'RUN_FILE_MISSING');
  });
});

describe('int8cal build (CLI)', () => {
  test('builds the run and prints build.json with --json', async () => {
    const run = await makeRun('cli');
    const program = new Command('int8cal').exitOverride();
    registerBuild(program);
    const chunks: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => { chunks.push(String(chunk)); return true; }) as typeof process.stdout.write;
    const exitCode = process.exitCode;
    // In-process: a run-writing command otherwise re-runs this process's command line supervised.
    process.env[SUPERVISED_ENV] = '1';
    try {
      await program.parseAsync(['build', '--run', run, '--target', 'ort-cpu', '--precisions', 'int8', '--json'], { from: 'user' });
    } finally {
      process.stdout.write = write;
      delete process.env[SUPERVISED_ENV];
    }
    assert.equal(process.exitCode ?? 0, 0);
    process.exitCode = exitCode;
    const printed = JSON.parse(chunks.join('')) as BuildJson;
    assert.deepEqual(Object.keys(printed.variants), ['int8-ort']);
    assert.ok(await exists(runPath(run, 'model.int8-ort.onnx')));
  });
});
