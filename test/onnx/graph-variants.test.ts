/**
 * Graph classes real exports contain (issue 10), each through the real pipeline on real photos:
 * an int64 shape subgraph, an integer (ArgMax) output, an already-quantized model, and the fp16
 * twin of a sample model (made with the `onnx` package), quantized like its fp32 original.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Int8calError } from '../../src/core/errors.js';
import { fromDecibels } from '../../src/metrics/psnr.js';
import { calibrate } from '../../src/pipeline/calibrate.js';
import { runPipeline, type RunOptions } from '../../src/pipeline/run.js';
import type { BuildJson } from '../../src/pipeline/build.js';
import type { Results, VariantResult } from '../../reports/results-schema.js';
import { readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { checkModel, python } from '../support/python.js';
import { model, repoRoot, samples } from '../support/paths.js';

const exec = promisify(execFile);
const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

const work = await mkdtemp(join(tmpdir(), 'int8cal-graphs-'));
test.after(() => rm(work, { recursive: true, force: true }));

const photos = { data: samples('scenes', 'calibration'), evalData: samples('scenes', 'evaluation'), maxImages: 3, batchSize: 1, iterations: 1 };
const run = (o: Partial<RunOptions>) => runPipeline({ ...photos, ...o } as RunOptions);
const variant = (r: Results, name: string): VariantResult => r.variants.find((v) => v.name === name)!;
const worstPsnr = (v: VariantResult): number => Math.min(...v.outputs.map((o) => fromDecibels(o.psnr!.value)));
const readBuild = async (dir: string): Promise<BuildJson> => JSON.parse(await readFile(join(dir, 'build.json'), 'utf8'));

/** Conv → Relu → Conv on a dynamic-H/W input, plus a PyTorch-style int64 shape subgraph feeding a Reshape. */
const SHAPE_SUBGRAPH = String.raw`
import sys, numpy as np, onnx
from onnx import helper as h, TensorProto as T, numpy_helper as nh
rng = np.random.default_rng(0)
w1 = nh.from_array(rng.normal(0, 0.2, (8, 3, 3, 3)).astype(np.float32), 'w1')
w2 = nh.from_array(rng.normal(0, 0.2, (8, 8, 3, 3)).astype(np.float32), 'w2')
i0, two = nh.from_array(np.array([0], np.int64), 'i0'), nh.from_array(np.array(2, np.int64), 'two')
minus1 = nh.from_array(np.array([-1], np.int64), 'minus1')
nodes = [
  h.make_node('Conv', ['x', 'w1'], ['c1'], pads=[1, 1, 1, 1]), h.make_node('Relu', ['c1'], ['r1']),
  h.make_node('Conv', ['r1', 'w2'], ['c2'], pads=[1, 1, 1, 1]),
  h.make_node('Shape', ['c2'], ['s']), h.make_node('Gather', ['s', 'i0'], ['n'], axis=0),
  h.make_node('Mul', ['n', 'two'], ['n2']), h.make_node('Div', ['n2', 'two'], ['n1']), h.make_node('Concat', ['n1', 'minus1'], ['shape'], axis=0),
  h.make_node('Reshape', ['c2', 'shape'], ['y']),
]
g = h.make_graph(nodes, 'shape', [h.make_tensor_value_info('x', T.FLOAT, [1, 3, 'H', 'W'])], [h.make_tensor_value_info('y', T.FLOAT, [1, 'D'])], [w1, w2, i0, two, minus1])
onnx.save(h.make_model(g, opset_imports=[h.make_opsetid('', 13)], ir_version=8), sys.argv[1])
`;

test('an int64 shape subgraph (Shape → Gather → Mul → Div → Concat → Reshape) is never quantized or folded; both placements build', async () => {
  const file = join(work, 'shape.onnx');
  await python(SHAPE_SUBGRAPH, [file]);
  const out = join(work, 'shape');
  const { results } = await run({ model: file, out, size: '32x32', preset: 'unit' });
  const build = await readBuild(out);
  for (const name of ['int8', 'int8-ort'] as const) {
    const coverage = build.variants[name]!.report!.coverage;
    // ort-cpu keeps the shallow first Conv on the RGB input float on purpose (its stem rule), with that reason.
    assert.deepEqual([coverage.quantized, coverage.quantizable], name === 'int8' ? [2, 2] : [1, 2], `${name}: Convs quantized`);
    for (const f of coverage.float) assert.match(f.reason, /network input/);
    assert.ok(!build.variants[name]!.report!.quantized.some((q) => ['Mul', 'Div', 'Gather', 'Concat', 'Shape'].includes(q.opType)), `${name}: no shape op quantized`);
    await checkModel(join(out, name === 'int8' ? 'model.int8.onnx' : 'model.int8-ort.onnx'));
    assert.ok(worstPsnr(variant(results, name)) > 25, `${name} PSNR ${worstPsnr(variant(results, name))}`);
  }
});

/** Convs → ArgMax over channels: an int64 label map [1,1,H,W], as segmentation exports end (argv[2]: number of Convs). */
const ARGMAX = String.raw`
import sys, numpy as np, onnx
from onnx import helper as h, TensorProto as T, numpy_helper as nh
rng, convs = np.random.default_rng(1), int(sys.argv[2])
channels = [3] + [8] * (convs - 1) + [4]
inits, nodes, x = [], [], 'x'
for i in range(convs):
  inits.append(nh.from_array(rng.normal(0, 0.3, (channels[i + 1], channels[i], 3, 3)).astype(np.float32), f'w{i}'))
  nodes.append(h.make_node('Conv', [x, f'w{i}'], [f'c{i}'], pads=[1, 1, 1, 1]))
  x = f'c{i}'
  if i < convs - 1:
    nodes.append(h.make_node('Relu', [x], [f'r{i}'])); x = f'r{i}'
nodes.append(h.make_node('ArgMax', [x], ['labels'], axis=1, keepdims=1))
g = h.make_graph(nodes, 'argmax', [h.make_tensor_value_info('x', T.FLOAT, [1, 3, 32, 32])], [h.make_tensor_value_info('labels', T.INT64, [1, 1, 32, 32])], inits)
onnx.save(h.make_model(g, opset_imports=[h.make_opsetid('', 13)], ir_version=8), sys.argv[1])
`;

test('an integer output (ArgMax labels) is scored by pixel agreement with fp32, never PSNR, and evaluate does not crash', async () => {
  const file = join(work, 'argmax.onnx');
  await python(ARGMAX, [file, '3']);
  const { results } = await run({ model: file, out: join(work, 'argmax'), preset: 'unit' });
  assert.equal(results.evaluation.task, 'none');
  for (const name of ['fp16', 'int8', 'int8-ort']) {
    const [output] = variant(results, name).outputs;
    assert.equal(output!.psnr, undefined, `${name}: no PSNR of labels`);
    assert.equal(output!.agreement?.unit, 'pixels');
    assert.equal(output!.agreement?.total, 3 * 32 * 32);
    assert.ok(output!.agreement!.value > 0.8 && output!.agreement!.value <= 1, `${name} pixel agreement ${output!.agreement!.value}`);
  }
});

/** The fp16 twin: every float initializer fp16, the graph computing in fp16, Casts only at the input and outputs. */
const FP16_TWIN = String.raw`
import sys, numpy as np, onnx
from onnx import helper as h, TensorProto as T, numpy_helper as nh
m = onnx.load(sys.argv[1]); g = m.graph
for init in g.initializer:
  if init.data_type == T.FLOAT: init.CopyFrom(nh.from_array(nh.to_array(init).astype(np.float16), init.name))
for n in g.node:
  for a in n.attribute:
    if a.type == onnx.AttributeProto.TENSOR and a.t.data_type == T.FLOAT: a.t.CopyFrom(nh.from_array(nh.to_array(a.t).astype(np.float16), a.t.name))
for vi in list(g.value_info): g.value_info.remove(vi)
x = g.input[0].name
for n in g.node:
  n.input[:] = [x + '_fp16' if i == x else i for i in n.input]
outs = []
for o in g.output:
  for n in g.node:
    n.output[:] = [o.name + '_fp16' if t == o.name else t for t in n.output]
    n.input[:] = [o.name + '_fp16' if t == o.name else t for t in n.input]
  outs.append(h.make_node('Cast', [o.name + '_fp16'], [o.name], to=T.FLOAT))
g.node.insert(0, h.make_node('Cast', [x], [x + '_fp16'], to=T.FLOAT16))
g.node.extend(outs)
onnx.save(m, sys.argv[2])
print(sum(1 for i in g.initializer if i.data_type == T.FLOAT16), sum(1 for i in g.initializer if i.data_type == T.FLOAT))
`;

test('the fp16 twin of fr_detect is quantized like its fp32 original: int8 weights (file ≤ 40 % of the fp32 file), accuracy within 1 dB', async (t) => {
  const original = model('fr_detect.onnx');
  const twin = join(work, 'fr_detect.fp16.onnx');
  const [fp16Count, fp32Count] = (await python(FP16_TWIN, [original, twin])).trim().split(' ').map(Number);
  assert.ok(fp16Count! > 50 && fp32Count === 0, `twin: ${fp16Count} fp16 and ${fp32Count} fp32 initializers`);
  const faces = { data: samples('faces', 'calibration'), evalData: samples('people', 'evaluation'), preset: 'symmetric', maxImages: 4 };
  const base = (await run({ ...faces, model: original, out: join(work, 'fp32') })).results;
  const widened = (await run({ ...faces, model: twin, out: join(work, 'fp16') })).results;
  const fp32Bytes = (await stat(original)).size;
  for (const name of ['int8', 'int8-ort'] as const) {
    const coverage = (await readBuild(join(work, 'fp16'))).variants[name]!.report!.coverage;
    const originalCoverage = (await readBuild(join(work, 'fp32'))).variants[name]!.report!.coverage;
    assert.ok(coverage.quantized >= 0.9 * coverage.quantizable, `${name}: twin ${coverage.quantized}/${coverage.quantizable} compute ops in int8`);
    assert.deepEqual(coverage, originalCoverage, `${name}: the twin quantizes exactly the original's compute ops`);
    const bytes = (await stat(join(work, 'fp16', name === 'int8' ? 'model.int8.onnx' : 'model.int8-ort.onnx'))).size;
    assert.ok(bytes <= 0.4 * fp32Bytes, `${name}: ${bytes} bytes vs the fp32 original's ${fp32Bytes}`);
    const [a, b] = [worstPsnr(variant(base, name)), worstPsnr(variant(widened, name))];
    t.diagnostic(`${name}: fp32 original ${a.toFixed(2)} dB, fp16 twin ${b.toFixed(2)} dB`);
    assert.ok(Math.abs(a - b) <= 1, `${name}: fp32 original ${a.toFixed(2)} dB vs fp16 twin ${b.toFixed(2)} dB`);
  }
});

test('an already-quantized model (int8cal\'s own Q/DQ output) is a clear error, not a double quantization', async () => {
  const quantized = join(work, 'fp32', 'model.int8.onnx');
  await assert.rejects(calibrate({ model: quantized, data: samples('faces', 'calibration'), out: join(work, 'twice'), preset: 'symmetric', batchSize: 1, maxImages: 1 }), (error: unknown) => {
    assert.ok(error instanceof Int8calError);
    assert.equal(error.code, 'MODEL_ALREADY_QUANTIZED');
    assert.match(error.message, /^The model is already quantized: \d+ quantization node\(s\) \(QuantizeLinear, DequantizeLinear\), e\.g\. /);
    assert.match(error.subject.hint ?? '', /float \(fp32 or fp16\) model/);
    return true;
  });
});

test('below 50 % compute-op coverage build fails with the reasons grouped; with --allow-low-coverage every output says "not quantized"', async () => {
  // One shallow Conv on the RGB input: the ort-cpu placement keeps it float (its stem rule), so int8-ort quantizes 0 of 1.
  const file = join(work, 'stem.onnx');
  await python(ARGMAX, [file, '1']);
  const args = ['run', '--model', file, '--data', photos.data, '--eval-data', photos.evalData, '--max-images', '2', '--batch-size', '1', '--iterations', '1', '--preset', 'unit', '--quiet'];
  const refused = await exec('node', [cli, ...args, '--out', join(work, 'stem-refused')]).then(() => undefined, (error: { stderr: string; code: number }) => error);
  assert.ok(refused, 'build refused');
  assert.match(refused.stderr, /int8-ort \(ort-cpu placement\) would quantize only 0 of 1 compute ops \(Conv, ConvTranspose, Gemm, MatMul\), under 50 %; left in float:\n  Conv ×1: it reads the network input with only 27 products per output/);
  assert.match(refused.stderr, /--allow-low-coverage/);

  const out = join(work, 'stem');
  const { stdout } = await exec('node', [cli, ...args, '--out', out, '--allow-low-coverage']);
  const line = stdout.split('\n').find((l) => l.startsWith('int8-ort'))!;
  assert.match(line, /not quantized \(0 of 1 ops int8\)/);
  assert.doesNotMatch(line, /pass|∞|faster/);
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results;
  assert.equal(variant(results, 'int8-ort').verdict.verdict, 'not-quantized');
  assert.deepEqual(variant(results, 'int8-ort').coverage, { quantized: 0, quantizable: 1 });
  assert.equal(variant(results, 'int8').verdict.verdict, 'none', 'the TensorRT placement quantized its Conv');
  for (const report of ['report.html', 'report.md']) {
    const text = await readFile(join(out, report), 'utf8');
    const lines = text.split('\n').filter((l) => l.includes('int8-ort') && l.includes('not quantized (0 of 1 ops int8)'));
    assert.ok(lines.length > 0, `${report} says int8-ort is not quantized`);
    for (const l of lines) assert.doesNotMatch(l.replace(/<[^>]+>/g, ' '), /\bPASS\b|∞|faster/, report);
  }
});
