/**
 * Fault matrix, hostile strings (issue 11): a model, its node and output names, an evaluation
 * image's file name and the run directory's name that hold Markdown, HTML, terminal escape codes
 * and a bidi override; a results.json (vouched, and as a --baseline) with such strings in its
 * free-text fields. report.md and report.html render them inert — checked against the exact
 * escaped text — and no terminal output carries a raw control character.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { RUN_FILES } from '../../src/run/layout.js';
import { assertCleanRunDir, assertNoCrash, cli, tempFolder, type CliResult } from '../support/faults-cli.js';
import { scalar, writeModel } from '../support/faults-models.js';
import { calibrationData, evaluationData, vouchedStages } from '../support/faults-run.js';

const { dir: work, cleanup } = await tempFolder('escaping');
test.after(cleanup);

/** HTML, Markdown (table pipe, emphasis, link, code, heading), a terminal colour code, a right-to-left override. */
const EVIL = '<img src=x onerror=alert(1)>|**b**_[l](javascript:alert(1))`c`\u001b[31m#\u202e';
/** EVIL in report.md: Markdown punctuation backslash-escaped, < > as entities, control characters written out. */
const EVIL_MD = String.raw`&lt;img src=x onerror=alert(1)&gt;\|\*\*b\*\*\_\[l\](javascript:alert(1))\`c\`\\x1b\[31m\#\\u202e`;
/** EVIL in report.html. */
const EVIL_HTML = '&lt;img src=x onerror=alert(1)&gt;|**b**_[l](javascript:alert(1))`c`\\x1b[31m#\\u202e';
const RAW = ['\u001b', '\u202e', '<img src=x', '<script', 'onerror=alert(1)>'];

function assertInert(text: string, where: string): void {
  for (const raw of RAW) assert.ok(!text.includes(raw), `${where} holds a raw ${JSON.stringify(raw)}`);
}
function assertTerminalSafe(result: CliResult, what: string): void {
  assertNoCrash(result);
  assert.equal(result.code, 0, `${what}\n${result.stderr}`);
  for (const raw of ['\u001b', '\u202e']) assert.ok(!(result.stdout + result.stderr).includes(raw), `${what}: a raw ${JSON.stringify(raw)} on the terminal`);
}

test('hostile model, node, output, image and run names: report.md and report.html render them inert, the terminal shows them escaped', async () => {
  const model = await writeModel(join(work, `${EVIL}.onnx`), {
    initializers: [scalar('half', 0.5)],
    nodes: [
      { name: `scale ${EVIL}`, opType: 'Mul', input: ['x', 'half'], output: [`s${EVIL}`] },
      { name: `relu ${EVIL}`, opType: 'Relu', input: [`s${EVIL}`], output: [`y${EVIL}`] },
    ],
    outputs: [`y${EVIL}`],
  });
  const images = join(work, 'images');
  await mkdir(images);
  await copyFile(join(evaluationData, 'dlib-mmod_cars_test_image.jpg'), join(images, `${EVIL}.jpg`));
  await copyFile(join(evaluationData, 'opencv-aloeL.jpg'), join(images, 'plain.jpg'));
  const inspected = await cli(['inspect', model]);
  assertTerminalSafe(inspected, 'inspect');
  assert.ok(inspected.stdout.includes('y<img src=x onerror=alert(1)>|**b**_[l](javascript:alert(1))`c`\\x1b[31m#\\u202e'), inspected.stdout);
  const run = join(work, `run ${EVIL}`);
  assertTerminalSafe(await cli(['calibrate', '--model', model, '--data', calibrationData, '--out', run, '--max-images', '2', '--batch-size', '2']), 'calibrate');
  assertTerminalSafe(await cli(['build', '--run', run, '--exclude', `relu ${EVIL}`]), 'build');
  const evaluated = await cli(['evaluate', '--run', run, '--data', images, '--iterations', '1', '--batch-size', '2']);
  assertTerminalSafe(evaluated, 'evaluate');
  assert.ok(evaluated.stdout.includes('\\x1b[31m#\\u202e/results.json'), `the run directory printed escaped:\n${evaluated.stdout}`);
  assertTerminalSafe(await cli(['report', '--run', run]), 'report');
  assert.deepEqual(await vouchedStages(run), ['calibrate', 'build', 'evaluate', 'report']);
  assert.deepEqual(await assertCleanRunDir(run), ['build.json', 'calibration.cache', 'calibration.json', 'histograms.bin', 'manifest.json', 'model.fp16.onnx',
    'model.fp32.onnx', 'model.int8-ort.onnx', 'model.int8.onnx', 'report.html', 'report.md', 'results.json', 'run.json']);

  const md = await readFile(join(run, RUN_FILES.reportMd), 'utf8');
  assertInert(md, 'report.md');
  const lines = md.split('\n');
  assert.equal(lines[0], `# int8cal report: ${EVIL_MD}.onnx`);
  assert.ok(lines.some((l) => l.startsWith(`| y${EVIL_MD} | \\[2×3×16×16\\] | `)), `per-output row: the output name escaped\n${md}`);
  assert.ok(lines.some((l) => l.startsWith(`| fp16 | ${EVIL_MD}.jpg | y${EVIL_MD} | `)), 'worst-images row: the image and output names escaped');
  assert.ok(lines.some((l) => l.startsWith(`| s${EVIL_MD} | `)), 'calibration row: the tensor name escaped');
  // (mkdtemp names hold letters and digits only: the folder part needs no escaping.)
  assert.ok(lines.includes(`| Model | ${work}/${EVIL_MD}.onnx |`), 'environment: the model path escaped');
  assert.ok(lines.some((l) => l.startsWith(`| Run | ${work}/run ${EVIL_MD}, `)), 'environment: the run directory escaped');
  const html = await readFile(join(run, RUN_FILES.reportHtml), 'utf8');
  assertInert(html, 'report.html');
  assert.ok(html.includes(`y${EVIL_HTML}`) && html.includes(`${EVIL_HTML}.jpg`) && html.includes(`run ${EVIL_HTML}`));
});

test('a results.json with hostile free text (vouched, and as --baseline): rendered inert', async () => {
  const run = join(work, 'plain-run');
  const plain = await writeModel(join(work, 'plain.onnx'), {
    initializers: [scalar('half', 0.5)],
    nodes: [{ name: 'scale', opType: 'Mul', input: ['x', 'half'], output: ['y'] }],
    outputs: ['y'],
  });
  for (const args of [
    ['calibrate', '--model', plain, '--data', calibrationData, '--out', run, '--max-images', '2', '--batch-size', '2'],
    ['build', '--run', run, '--precisions', 'fp16'],
    ['evaluate', '--run', run, '--data', evaluationData, '--max-images', '2', '--iterations', '1', '--batch-size', '2'],
  ]) assert.equal((await cli(args)).code, 0, args.join(' '));
  // Free text a results.json written elsewhere could hold; the manifest is made to vouch for it (as if int8cal had written it).
  const file = join(run, RUN_FILES.results);
  const results = JSON.parse(await readFile(file, 'utf8'));
  results.environment.cpu = `cpu ${EVIL}`;
  results.environment.onnxruntime = `ort ${EVIL}`;
  results.createdAt = `when ${EVIL}`;
  const text = JSON.stringify(results, null, 2);
  await writeFile(file, text);
  const manifestFile = join(run, RUN_FILES.manifest);
  const manifest = JSON.parse(await readFile(manifestFile, 'utf8'));
  manifest.stages.evaluate.outputs[RUN_FILES.results] = createHash('sha256').update(text).digest('hex');
  await writeFile(manifestFile, JSON.stringify(manifest));
  // The same results as a baseline from another directory whose recorded run path is hostile.
  const baseline = join(work, 'baseline');
  await mkdir(baseline);
  await writeFile(join(baseline, RUN_FILES.results), JSON.stringify({ ...results, run: `/runs/${EVIL}` }));
  assertTerminalSafe(await cli(['report', '--run', run, '--baseline', baseline]), 'report --baseline');
  const md = await readFile(join(run, RUN_FILES.reportMd), 'utf8');
  assertInert(md, 'report.md');
  const lines = md.split('\n');
  assert.ok(lines.includes(`| CPU | cpu ${EVIL_MD} (2 logical cores), all threads |`) || lines.some((l) => l.startsWith(`| CPU | cpu ${EVIL_MD} (`)), 'CPU row escaped');
  assert.ok(lines.some((l) => l.startsWith(`| Platform | `) && l.includes(`ONNX Runtime ort ${EVIL_MD} (`)), 'platform row escaped');
  assert.ok(lines.some((l) => l.startsWith(`Compared with baseline run /runs/${EVIL_MD} (when ${EVIL_MD}); `)), 'baseline line escaped');
  const html = await readFile(join(run, RUN_FILES.reportHtml), 'utf8');
  assertInert(html, 'report.html');
  assert.ok(html.includes(`cpu ${EVIL_HTML}`) && html.includes(`/runs/${EVIL_HTML}`) && html.includes(`when ${EVIL_HTML}`));
});
