/**
 * Fault matrix, calibration data and caches: TensorRT caches from another model or damaged,
 * histograms.bin truncated or from a newer int8cal, all-zero and NaN/Inf activations.
 * The codecs' own unit tests are in test/calibrators/; here each case goes through the CLI.
 */
import { finishStage } from '../../src/run/manifest.js';
import { CALIBRATE_OUTPUTS } from '../../src/pipeline/calibrate.js';
import test from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { join } from 'node:path';
import { HISTOGRAM_FILE_VERSION } from '../../src/run/histogram-file.js';
import { parseCache } from '../../calibrators/cache.js';
import { SMALLEST_SCALE } from '../../src/pipeline/tensor-calibration.js';
import { calibrate } from '../../src/pipeline/calibrate.js';
import { assertCleanRunDir, assertNoCrash, assertUserError, cli, tempFolder } from '../support/faults-cli.js';
import { nanSpec, reluSpec, writeModel, zeroSpec } from '../support/faults-models.js';
import { samples } from '../support/paths.js';
import { RUN_FILES } from '../../src/run/layout.js';
import { vouchedStages } from '../support/faults-run.js';

const { dir: work, cleanup } = await tempFolder('calibration');
test.after(cleanup);

const data = samples('scenes', 'calibration');
const relu = await writeModel(join(work, 'relu.onnx'), reluSpec());
const other = await writeModel(join(work, 'other.onnx'), nanSpec());
/** A complete run of the relu model: its cache and histograms.bin are what the cases damage. */
const base = join(work, 'base');
await calibrate({ model: relu, data, out: base, maxImages: 4, batchSize: 2, preset: 'unit' });
const baseCache = await readFile(join(base, 'calibration.cache'), 'utf8');
let runs = 0;
const nextRun = () => join(work, `run-${++runs}`);

/** `calibrate --cache FILE` on `model`; the run directory must stay empty on failure. */
async function withCache(cache: string, model = relu) {
  const out = nextRun();
  return { out, result: await cli(['calibrate', '--model', model, '--cache', cache, '--out', out]) };
}

async function cacheFile(name: string, text: string): Promise<string> {
  const file = join(work, name);
  await writeFile(file, text);
  return file;
}

test('a cache from another model: refused, listing the tensors it lacks', async () => {
  const { out, result } = await withCache(join(base, 'calibration.cache'), other);
  // relu's cache has x, scaled, y; the other model needs x, centered, log.
  assertUserError(result, [join(base, 'calibration.cache'), 'lacks 2 of the 3 tensors', 'centered, log', 'another model']);
  assert.deepEqual(await assertCleanRunDir(out), []);
  // The right cache, plus tensors the model doesn't have (TensorRT's internal names): a warning only.
  const extra = await cacheFile('extra.cache', `${baseCache}(Unnamed Layer* 3) [Activation]_output: 3c010204\n`);
  const reused = await withCache(extra);
  assert.equal(reused.result.code, 0, reused.result.stderr);
  assertNoCrash(reused.result);
  assert.match(reused.result.stderr, /warning: .*has 1 tensor\(s\) the model does not: \(Unnamed Layer\* 3\)/);
  await assertCleanRunDir(reused.out);
});

test('a cache with a wrong header or a malformed line: refused with the file and line number', async () => {
  const lines = baseCache.trimEnd().split('\n');
  const cases: [string, string, (string | RegExp)[]][] = [
    ['no-header.cache', lines.slice(1).join('\n'), [':1: expected a header like TRT-101601-EntropyCalibration2']],
    ['json.cache', JSON.stringify({ x: 0.1 }), [':1: expected a header']],
    ['empty.cache', '', [':1: expected a header']],
    ['bad-line.cache', [lines[0], lines[1], 'scaled 3c010204', ...lines.slice(3)].join('\n'), [':3: expected "tensor: hexscale"']],
    ['bad-hex.cache', [lines[0], 'x: 0x3c0102zz', ...lines.slice(2)].join('\n'), [':2: scale of x is not 1–8 hex digits']],
    ['twice.cache', [...lines, lines[1]].join('\n'), [/:5: tensor x appears twice/]],
  ];
  for (const [name, text, mentions] of cases) {
    const file = await cacheFile(name, text);
    const { out, result } = await withCache(file);
    assertUserError(result, [file, ...mentions.map((m) => (typeof m === 'string' && m.startsWith(':') ? `${file}${m}` : m)), 'TRT-<version>-<Algorithm>']);
    assert.deepEqual(await assertCleanRunDir(out), [], name);
  }
});

test('negative, NaN or infinite scales are refused naming the tensor; a zero scale is a warning', async () => {
  const withScale = (hex: string) => baseCache.replace(/^scaled: .*$/m, `scaled: ${hex}`);
  for (const [name, hex, shown] of [['negative', 'bf800000', '-1'], ['nan', '7fc00000', 'NaN'], ['inf', '7f800000', 'Infinity']]) {
    const file = await cacheFile(`${name}.cache`, withScale(hex));
    const { out, result } = await withCache(file);
    assertUserError(result, [file, `tensor scaled has an invalid scale ${shown}`, 'tensor: scaled', 'regenerate the cache']);
    assert.deepEqual(await assertCleanRunDir(out), [], name);
  }
  const zero = await cacheFile('zero.cache', withScale('0'));
  const { out, result } = await withCache(zero);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /warning: .*tensor scaled has scale 0; using the smallest positive scale/);
  const written = parseCache(await readFile(join(out, 'calibration.cache'), 'utf8'));
  assert.equal(written.scales.get('scaled'), SMALLEST_SCALE);
  const calibration = JSON.parse(await readFile(join(out, 'calibration.json'), 'utf8'));
  assert.deepEqual(calibration.tensors.scaled.flags, ['from-cache', 'zero-scale-in-cache']);
  await assertCleanRunDir(out);
});

test('a missing cache file: a clear error', async () => {
  const missing = join(work, 'nope.cache');
  const { out, result } = await withCache(missing);
  assertUserError(result, [missing, 'Cannot read calibration cache', '--cache']);
  assert.deepEqual(await assertCleanRunDir(out), []);
});

test('histograms.bin truncated or from a newer int8cal: --from-histograms refuses, naming it, writing nothing', async () => {
  const bytes = await readFile(join(base, 'histograms.bin'));
  const damaged: [string, Uint8Array, (string | RegExp)[]][] = [
    ['truncated-blobs', bytes.subarray(0, bytes.length - 100), ['is not a valid histograms file', 'truncated', 'run calibration again']],
    ['truncated-header', bytes.subarray(0, 40), ['truncated inside the header']],
    ['truncated-preamble', bytes.subarray(0, 10), ['truncated']],
    ['newer', (() => {
      const newer = Buffer.from(bytes);
      newer.writeUInt32LE(HISTOGRAM_FILE_VERSION + 1, 8);
      return newer;
    })(), ['written by a newer int8cal', `version ${HISTOGRAM_FILE_VERSION + 1}`, 'upgrade int8cal']],
  ];
  for (const [name, content, mentions] of damaged) {
    const from = nextRun();
    await calibrate({ model: relu, data, out: from, maxImages: 2, batchSize: 2, preset: 'unit' });
    const file = join(from, 'histograms.bin');
    await writeFile(file, content);
    // Edited after calibrate wrote it: stale, refused as such.
    assertUserError(await cli(['calibrate', '--from-histograms', from, '--out', nextRun()]), [`${file}: histograms.bin was changed after \`int8cal calibrate\` wrote it`, 'rerun `int8cal calibrate`']);
    // Vouched anyway (as if the manifest were damaged with it): the file's own check still refuses it.
    await finishStage(from, 'calibrate', CALIBRATE_OUTPUTS, []);
    const out = nextRun();
    assertUserError(await cli(['calibrate', '--from-histograms', from, '--out', out, '--calibrator', 'minmax']), [file, ...mentions]);
    assert.deepEqual(await assertCleanRunDir(out), [], name);
    // In place (--out = the same run): the complete files of the run are untouched.
    const before = await readFile(join(from, 'calibration.cache'));
    assertUserError(await cli(['calibrate', '--from-histograms', from, '--out', from]), [file]);
    assert.deepEqual(await readFile(join(from, 'calibration.cache')), before);
    await assertCleanRunDir(from);
  }
});

test('all-zero activations: the smallest positive scale and a note; NaN/Inf activations: counted and excluded', async () => {
  const zeros = await writeModel(join(work, 'zeros.onnx'), zeroSpec());
  const out = nextRun();
  const result = await cli(['calibrate', '--model', zeros, '--data', data, '--out', out, '--max-images', '2', '--batch-size', '2']);
  assert.equal(result.code, 0, result.stderr);
  assertNoCrash(result);
  assert.match(result.stdout, /note: zeros: always zero: given the smallest positive scale/);
  const calibration = JSON.parse(await readFile(join(out, 'calibration.json'), 'utf8'));
  assert.equal(calibration.tensors.zeros.scale, SMALLEST_SCALE);
  assert.ok(parseCache(await readFile(join(out, 'calibration.cache'), 'utf8')).scales.get('zeros')! > 0);
  // NaN/Inf activations (the NaN model: log of negative values) — see also test/faults/models.test.ts.
  const nan = await calibrate({ model: other, data, out: nextRun(), maxImages: 2, batchSize: 2, preset: 'raw' });
  const log = nan.calibration.tensors.log!;
  assert.ok(log.nanCount > 0 && log.infCount > 0 && log.flags.includes('nan-or-inf'));
  assert.ok(Number.isFinite(log.amax) && log.amax <= log.absMax);
});

test('build --cache with a cache from another model is refused, listing the tensors it lacks', async () => {
  const run = nextRun();
  await calibrate({ model: relu, data, out: run, maxImages: 2, batchSize: 2, preset: 'unit' });
  const foreign = nextRun();
  await calibrate({ model: other, data, out: foreign, maxImages: 2, batchSize: 2, preset: 'raw' });
  const cache = join(foreign, 'calibration.cache');
  const result = await cli(['build', '--run', run, '--cache', cache]);
  assertUserError(result, [cache, 'scaled', 'y']);
});

/** A PNG of one flat colour. */
async function flatPng(file: string, width: number, height: number, grey: number): Promise<void> {
  await sharp({ create: { width, height, channels: 3, background: { r: grey, g: grey, b: grey } } }).png().toFile(file);
}

test('flat (all-black, one-colour) and byte-identical calibration images: a warning naming them, returned as data; the run is complete', async () => {
  const cases: [string, () => Promise<void>, string][] = [];
  const folder = (name: string) => join(work, 'flat', name);
  cases.push(['mixed', async () => {
    await copyFile(join(data, 'opencv-aero1.jpg'), join(folder('mixed'), 'aero.jpg'));
    await copyFile(join(data, 'opencv-apple.jpg'), join(folder('mixed'), 'apple.jpg'));
    await flatPng(join(folder('mixed'), 'black.png'), 64, 48, 0);
    await flatPng(join(folder('mixed'), 'grey.png'), 40, 40, 128);
  }, 'int8cal: warning: 2 of the 4 calibration images are one flat colour (black.png: all black; grey.png: all (128, 128, 128)): they show the model no content']);
  cases.push(['all-black', async () => {
    await flatPng(join(folder('all-black'), 'a.png'), 64, 48, 0);
    await flatPng(join(folder('all-black'), 'b.png'), 32, 32, 0);
  }, 'int8cal: warning: all 2 calibration images are one flat colour (a.png: all black; b.png: all black): the scales come from images without content; calibrate on images like the ones the model sees in use']);
  cases.push(['copies', async () => {
    for (const name of ['a.jpg', 'b.jpg', 'c.jpg']) await copyFile(join(data, 'opencv-baboon.jpg'), join(folder('copies'), name));
  }, 'int8cal: warning: all 3 calibration images are byte-identical (the same file as a.jpg): calibration sees one image, not 3']);
  for (const [name, make, warning] of cases) {
    await mkdir(folder(name), { recursive: true });
    await make();
    const out = nextRun();
    const result = await cli(['calibrate', '--model', relu, '--data', folder(name), '--out', out, '--batch-size', '2']);
    assert.equal(result.code, 0, result.stderr);
    assertNoCrash(result);
    assert.deepEqual(result.stderr.split('\n').filter((l) => l.includes('warning')), [warning], name);
    assert.deepEqual(await assertCleanRunDir(out), ['calibration.cache', 'calibration.json', 'histograms.bin', 'manifest.json', 'model.fp32.onnx', 'run.json'], name);
    assert.deepEqual(await vouchedStages(out), ['calibrate'], `${name}: a warning, not a failure: the run is complete`);
    assert.equal(JSON.parse(await readFile(join(out, RUN_FILES.run), 'utf8')).calibration.images.length, name === 'copies' ? 3 : name === 'mixed' ? 4 : 2);
  }
  // The library returns the same warnings as data.
  const summary = await calibrate({ model: relu, data: folder('mixed'), out: nextRun(), batchSize: 2 });
  assert.deepEqual(summary.warnings, [{
    code: 'FLAT_IMAGES', files: ['black.png', 'grey.png'],
    message: '2 of the 4 calibration images are one flat colour (black.png: all black; grey.png: all (128, 128, 128)): they show the model no content',
  }]);
  assert.deepEqual((await calibrate({ model: relu, data, out: nextRun(), maxImages: 4, batchSize: 2 })).warnings, [], 'real photos: no warning');
});
