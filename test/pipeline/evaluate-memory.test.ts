import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from '../../src/pipeline/build.js';
import { calibrate } from '../../src/pipeline/calibrate.js';
import { model, samples } from '../support/paths.js';

const work = await mkdtemp(join(tmpdir(), 'int8cal-evaluate-memory-'));
test.after(() => rm(work, { recursive: true, force: true }));
const child = fileURLToPath(new URL('../support/evaluate-rss.js', import.meta.url));

async function peakRss(run: string, images: number): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, [child, run, samples('lfw', 'evaluation'), String(images)]);
  const report = JSON.parse(stdout.trim().split('\n').pop()!) as { images: number; maxRssKiB: number };
  assert.equal(report.images, images);
  return report.maxRssKiB * 1024;
}

test('evaluate streams: peak RSS at 40 images is within 10 % of 10 images (fr_expression, LFW, every variant)', async (t) => {
  const run = join(work, 'expr');
  await calibrate({ model: model('fr_expression.onnx'), data: samples('faces', 'calibration'), out: run, preset: 'unit', maxImages: 4 });
  await build({ run });
  const small = await peakRss(run, 10);
  const large = await peakRss(run, 40);
  const mib = (b: number) => `${(b / 1024 ** 2).toFixed(0)} MiB`;
  t.diagnostic(`peak RSS ${mib(small)} at 10 images, ${mib(large)} at 40`);
  assert.ok(Math.abs(large - small) <= 0.1 * small, `peak RSS ${mib(small)} at 10 images, ${mib(large)} at 40`);
});
