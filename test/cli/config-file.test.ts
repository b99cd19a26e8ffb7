/** `--config FILE`: options named as the flags, flags win, bad keys and values named. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { model, repoRoot, samples } from '../support/paths.js';

const exec = promisify(execFile);
const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const work = await mkdtemp(join(tmpdir(), 'int8cal-config-'));
test.after(() => rm(work, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await exec(process.execPath, [cli, ...args]);
    return { code: 0, stderr };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

const calibrate = ['calibrate', '--model', model('fr_detect.onnx'), '--data', samples('faces', 'calibration'), '--quiet'];

test('a config file sets options by flag name; a flag on the command line overrides it; options of other commands are ignored with a warning', async () => {
  const config = join(work, 'int8cal.json');
  await writeFile(config, JSON.stringify({ calibrator: 'minmax', 'batch-size': 2, 'max-images': 4, resize: 'stretch', 'eval-data': '/elsewhere' }));
  const fromFile = join(work, 'from-file');
  const r1 = await run([...calibrate, '--out', fromFile, '--config', config]);
  assert.equal(r1.code, 0, r1.stderr);
  assert.match(r1.stderr, /eval-data do not apply to this command/);
  const run1 = JSON.parse(await readFile(join(fromFile, 'run.json'), 'utf8'));
  assert.equal(run1.calibration.calibrator, 'minmax');
  assert.equal(run1.calibration.batchSize, 2);
  assert.equal(run1.calibration.images.length, 4);

  const overridden = join(work, 'overridden');
  const r2 = await run([...calibrate, '--out', overridden, '--config', config, '--calibrator', 'percentile']);
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(JSON.parse(await readFile(join(overridden, 'run.json'), 'utf8')).calibration.calibrator, 'percentile');
});

test('unknown keys, bad values and unreadable files are errors naming the file and the key', async () => {
  const cases: [unknown, RegExp][] = [
    [{ 'batch-sise': 2 }, /int8cal\.json: unknown option "batch-sise"/],
    [{ calibrator: 'kl' }, /"calibrator" must be one of auto, entropy2, minmax, percentile, mse, not "kl"/],
    [{ 'batch-size': 0 }, /int8cal\.json: Expected a positive integer for --batch-size/],
    [{ 'skip-bad-images': 'yes' }, /"skip-bad-images" must be true or false/],
    [[1, 2], /is not a JSON object of options/],
  ];
  for (const [content, message] of cases) {
    const config = join(work, 'int8cal.json');
    await writeFile(config, JSON.stringify(content));
    const r = await run([...calibrate, '--out', join(work, 'bad'), '--config', config]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, message);
  }
  const r = await run([...calibrate, '--out', join(work, 'bad'), '--config', join(work, 'missing.json')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Cannot read config file .*missing\.json/);
});
