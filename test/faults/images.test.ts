/**
 * Fault matrix, images: what messy image folders do to `calibrate` (library and CLI).
 * How each odd image decodes, pixel by pixel, is tested in test/datasets/images/ (decode,
 * files, batches, photos); here every case goes through the pipeline: a clear message naming
 * the file with a hint, the right exit code, and a run directory with nothing half-written.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { calibrate } from '../../src/pipeline/calibrate.js';
import { Int8calError } from '../../src/core/errors.js';
import { encodePng, solid, truncatedJpeg } from '../datasets/images/fixtures.js';
import { assertCleanRunDir, assertNoCrash, assertUserError, cli, tempFolder } from '../support/faults-cli.js';
import { reluSpec, writeModel } from '../support/faults-models.js';
import { samplesDir } from '../support/paths.js';

const { dir: work, cleanup } = await tempFolder('images');
test.after(cleanup);

const tinyModel = await writeModel(join(work, 'relu.onnx'), reluSpec());
const base = { model: tinyModel, preset: 'unit', batchSize: 2 };
let runs = 0;
const nextRun = () => join(work, `run-${++runs}`);

/** A folder with `good` plain photos plus the given extra files. */
async function folder(name: string, good = 2): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < good; i++) await solid(join(dir, `good-${i}.jpg`), 40 + 8 * i, 30, [40 * i, 100, 200]);
  return dir;
}

async function rejectsWith(promise: Promise<unknown>, code: string, check: (e: Int8calError) => void = () => {}): Promise<Int8calError> {
  let caught: unknown;
  await promise.then(() => assert.fail(`expected ${code}`), (e: unknown) => (caught = e));
  assert.ok(caught instanceof Int8calError, `an Int8calError, got ${String((caught as Error)?.stack ?? caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.ok(caught.subject.hint, `a hint: ${caught.describe()}`);
  check(caught);
  return caught;
}

test('odd but valid images all calibrate: 16-bit, grayscale, CMYK, alpha, animated GIF/WebP, mixed sizes', async () => {
  const dir = await folder('odd', 1);
  await writeFile(join(dir, 'deep16.png'), encodePng(2, 2, 16, 2, Array.from({ length: 12 }, (_, i) => i * 5000)));
  await writeFile(join(dir, 'gray.png'), encodePng(4, 4, 8, 0, Array.from({ length: 16 }, (_, i) => i * 16)));
  await writeFile(join(dir, 'alpha.png'), encodePng(3, 1, 8, 6, [200, 10, 20, 255, 0, 255, 0, 0, 0, 0, 255, 51]));
  await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 255, g: 0, b: 0 } } }).toColourspace('cmyk').jpeg().toFile(join(dir, 'cmyk.jpg'));
  const frames = Buffer.alloc(4 * 4 * 3, 90);
  for (const ext of ['gif', 'webp']) await sharp(frames, { raw: { width: 4, height: 4, channels: 3, pageHeight: 2 } }).toFile(join(dir, `anim.${ext}`));
  await solid(join(dir, 'wide.png'), 300, 20, [1, 2, 3]);
  await solid(join(dir, 'tall.tif'), 7, 90, [200, 200, 9]);
  const out = nextRun();
  const summary = await calibrate({ ...base, data: dir, out });
  assert.equal(summary.images, 9);
  assert.deepEqual(summary.skipped, []);
  assert.deepEqual(await assertCleanRunDir(out), ['calibration.cache', 'calibration.json', 'histograms.bin', 'manifest.json', 'model.fp32.onnx', 'run.json']);
});

test('bad images fail by default, naming the file; --skip-bad-images skips and lists them', async () => {
  const cases: [string, (file: string) => Promise<unknown>, RegExp][] = [
    ['truncated.jpg', (f) => truncatedJpeg(f), /premature end/i],
    ['notes.jpg', (f) => writeFile(f, 'this is a text file, not a picture\n'), /unsupported image format|not a known file format|bad seek|format/i],
    ['empty.png', (f) => writeFile(f, ''), /empty|unsupported|format/i],
    // A valid PNG header claiming 20000×20000 with no pixel data: refused from the header alone.
    ['bomb.png', (f) => writeFile(f, encodePng(20000, 20000, 8, 2, [])), /exceeds the limit .*decompression-bomb guard/],
  ];
  for (const [name, make, reason] of cases) {
    const dir = await folder(`bad-${name}`);
    const bad = join(dir, name);
    await make(bad);
    const out = nextRun();
    const started = Date.now();
    await rejectsWith(calibrate({ ...base, data: dir, out }), 'IMAGE_DECODE', (e) => {
      assert.equal(e.subject.file, bad);
      assert.match(e.message, reason);
      assert.match(e.subject.hint!, /--skip-bad-images/);
    });
    assert.ok(Date.now() - started < 10_000, `${name}: refused quickly`);
    assert.deepEqual(await assertCleanRunDir(out), [], `${name}: nothing written`);
    const warnings: string[] = [];
    const skippedRun = nextRun();
    const summary = await calibrate({ ...base, data: dir, out: skippedRun, skipBadImages: true, onWarning: (m) => warnings.push(m) });
    assert.equal(summary.images, 2, name);
    assert.deepEqual(summary.skipped.map((s) => s.file), [bad]);
    assert.match(summary.skipped[0]!.reason, reason);
    assert.ok(warnings.some((w) => w.includes(bad)), warnings.join('\n'));
    await assertCleanRunDir(skippedRun);
  }
});

test('every image bad with --skip-bad-images: a clear error, not an empty calibration', async () => {
  const dir = await folder('all-bad', 0);
  await writeFile(join(dir, 'a.jpg'), 'nope');
  await writeFile(join(dir, 'b.png'), '');
  await writeFile(join(dir, 'c.jpg'), 'still nope');
  const out = nextRun();
  await rejectsWith(calibrate({ ...base, data: dir, out, skipBadImages: true }), 'NO_IMAGES', (e) => assert.match(e.message, /None of the 3 images/));
  assert.deepEqual(await assertCleanRunDir(out), []);
});

test('CLI: a truncated JPEG (samples/bad) exits 1 naming it; --skip-bad-images calibrates and lists it', async () => {
  const dir = await folder('cli-truncated');
  const bad = join(dir, 'skimage-truncated.jpg');
  await copyFile(join(samplesDir, 'bad', 'skimage-truncated.jpg'), bad);
  const out = nextRun();
  const args = ['calibrate', '--model', tinyModel, '--data', dir, '--out', out, '--preset', 'unit', '--batch-size', '2'];
  assertUserError(await cli(args), [bad, /premature end/i, '--skip-bad-images']);
  assert.deepEqual(await assertCleanRunDir(out), []);
  const skipped = await cli([...args, '--skip-bad-images']);
  assert.equal(skipped.code, 0, skipped.stderr);
  assertNoCrash(skipped);
  assert.match(skipped.stdout, new RegExp(`skipped ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*premature end`, 'i'));
  assert.match(skipped.stdout, /calibrated \d+ tensors on 2 images/);
  assert.equal((await assertCleanRunDir(out)).length, 6);
});

test('CLI: an empty folder, a folder without images, fewer images than one batch', async () => {
  const empty = join(work, 'cli-empty');
  await mkdir(empty);
  const run = (data: string, ...extra: string[]) => cli(['calibrate', '--model', tinyModel, '--data', data, '--out', nextRun(), '--preset', 'unit', ...extra]);
  assertUserError(await run(empty), [empty, 'the folder is empty', '.jpg']);
  const other = join(work, 'cli-other');
  await mkdir(other);
  for (const f of ['notes.txt', 'labels.csv', 'README']) await writeFile(join(other, f), 'x');
  assertUserError(await run(other), [other, /3 files, none with an image extension/]);
  const two = await folder('cli-two', 2);
  assertUserError(await run(two, '--batch-size', '4'), [two, /2 image\(s\), fewer than one batch of 4/, '--batch-size']);
});

test('CLI: a symlink loop in the folder is listed once, with a warning, and calibration goes on', async () => {
  const dir = await folder('cli-loop');
  await mkdir(join(dir, 'sub'));
  await solid(join(dir, 'sub', 'inner.png'), 20, 20, [9, 9, 9]);
  await symlink(dir, join(dir, 'sub', 'back-to-top'));
  await symlink(join(dir, 'sub'), join(dir, 'sub', 'self'));
  const out = nextRun();
  const result = await cli(['calibrate', '--model', tinyModel, '--data', dir, '--out', out, '--preset', 'unit', '--batch-size', '2']);
  assert.equal(result.code, 0, result.stderr);
  assertNoCrash(result);
  assert.match(result.stderr, /warning: Skipping .*back-to-top.*symbolic link/);
  assert.match(result.stdout, /on 3 images/);
  await assertCleanRunDir(out);
});

test('CLI: a bomb image is refused from its header, fast, naming it', async () => {
  const dir = await folder('cli-bomb');
  const bomb = join(dir, 'huge.png');
  await writeFile(bomb, encodePng(30000, 30000, 8, 2, []));
  const out = nextRun();
  const result = await cli(['calibrate', '--model', tinyModel, '--data', dir, '--out', out, '--preset', 'unit', '--batch-size', '2'], { timeoutMs: 30_000 });
  assertUserError(result, [bomb, '30000x30000', 'decompression-bomb guard']);
  assert.deepEqual(await assertCleanRunDir(out), []);
});

/**
 * Root reads any file whatever its mode, so as root the CLI runs as user "nobody" (uid 65534),
 * for whom a mode-000 image is unreadable, as it is for any normal user.
 */
test('CLI: an unreadable image (permissions) is an error naming it, or skipped with --skip-bad-images', async () => {
  const root = process.getuid?.() === 0;
  const dir = await folder('cli-perm');
  const locked = join(dir, 'locked.jpg');
  await solid(locked, 10, 10, [1, 1, 1]);
  await chmod(locked, 0o000);
  const model = join(dir, '..', 'perm-model.onnx');
  await writeModel(model, reluSpec());
  const outParent = join(work, 'perm-out');
  await mkdir(outParent);
  const as = root ? { uid: 65534, gid: 65534 } : {};
  if (root) {
    await chmod(work, 0o755);
    await chown(outParent, 65534, 65534);
  }
  const args = ['calibrate', '--model', model, '--data', dir, '--out', join(outParent, 'run'), '--preset', 'unit', '--batch-size', '2'];
  assertUserError(await cli(args, as), [locked, 'permission denied', '--skip-bad-images']);
  const skipped = await cli([...args, '--skip-bad-images'], as);
  assert.equal(skipped.code, 0, skipped.stderr);
  assert.match(skipped.stdout, /skipped .*locked\.jpg: permission denied/);
  await assertCleanRunDir(join(outParent, 'run'));
});

test('CLI evaluate: a bad evaluation image fails naming it (no results.json); --skip-bad-images skips it with a warning', async () => {
  const run = nextRun();
  await calibrate({ ...base, data: await folder('eval-calibration'), out: run });
  const calibrated = await assertCleanRunDir(run);
  const dir = await folder('eval-bad');
  const bad = join(dir, 'skimage-truncated.jpg');
  await copyFile(join(samplesDir, 'bad', 'skimage-truncated.jpg'), bad);
  const args = ['evaluate', '--run', run, '--data', dir, '--variants', 'fp32', '--iterations', '1', '--batch-size', '2'];
  assertUserError(await cli(args), [bad, /premature end/i, '--skip-bad-images']);
  assert.deepEqual(await assertCleanRunDir(run), calibrated);
  const skipped = await cli([...args, '--skip-bad-images']);
  assert.equal(skipped.code, 0, skipped.stderr);
  assertNoCrash(skipped);
  assert.ok(skipped.stderr.includes(`warning: Skipped ${bad}: `), skipped.stderr);
  const results = JSON.parse(await readFile(join(run, 'results.json'), 'utf8'));
  assert.deepEqual(results.evaluation.images, ['good-0.jpg', 'good-1.jpg']);
});
