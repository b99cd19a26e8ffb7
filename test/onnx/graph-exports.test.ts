/**
 * Graph variants of a real sample model made with the `onnx` package (issue 10): opset 7/9/11/13/17
 * exports (onnx.version_converter), dynamic batch and H/W, NHWC (a Transpose at the input) and a
 * 1-channel input. Each goes through `int8cal run` on real photos (2 calibration images, batch 1,
 * 1 timed run): ≥ 90 % of compute ops int8 in both placements, both Q/DQ models pass the onnx full
 * checker, and ONNX Runtime loads and scores them (a finite PSNR).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fromDecibels } from '../../src/metrics/psnr.js';
import type { BuildJson } from '../../src/pipeline/build.js';
import type { Results } from '../../reports/results-schema.js';
import { checkModel, python } from '../support/python.js';
import { model, repoRoot, samples } from '../support/paths.js';

const exec = promisify(execFile);
const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const work = await mkdtemp(join(tmpdir(), 'int8cal-exports-'));
test.after(() => rm(work, { recursive: true, force: true }));

/** Writes OUT/{opset7,…,opset17,dynamic,nhwc,gray}.onnx from SRC; prints each name. */
const VARIANTS = String.raw`
import sys, copy, numpy as np, onnx
from onnx import helper as h, numpy_helper as nh, version_converter
src, out = sys.argv[1], sys.argv[2]
base = onnx.load(src)
inp = base.graph.input[0]
def save(m, name):
    onnx.checker.check_model(m); onnx.save(m, f'{out}/{name}.onnx'); print(name)
for v in (7, 9, 11, 13, 17):
    try: save(version_converter.convert_version(base, v), f'opset{v}')
    except Exception as e: print(f'opset{v} failed: {str(e)[:200]}')
m = copy.deepcopy(base); d = m.graph.input[0].type.tensor_type.shape.dim
for i, s in ((0, 'N'), (2, 'H'), (3, 'W')): d[i].ClearField('dim_value'); d[i].dim_param = s
for o in m.graph.output: o.type.tensor_type.shape.dim[0].ClearField('dim_value'); o.type.tensor_type.shape.dim[0].dim_param = 'N'
save(m, 'dynamic')
m = copy.deepcopy(base); name = inp.name; dims = [x.dim_value or x.dim_param for x in inp.type.tensor_type.shape.dim]
m.graph.input[0].CopyFrom(h.make_tensor_value_info(name + '_nhwc', onnx.TensorProto.FLOAT, [dims[0], dims[2], dims[3], dims[1]]))
m.graph.node.insert(0, h.make_node('Transpose', [name + '_nhwc'], [name], perm=[0, 3, 1, 2], name='to_nchw'))
save(m, 'nhwc')
m = copy.deepcopy(base); first = next(n for n in m.graph.node if len(n.input) and n.input[0] == inp.name)
w = next(t for t in m.graph.initializer if t.name == first.input[1]); a = nh.to_array(w)
w.CopyFrom(nh.from_array(a.sum(axis=1, keepdims=True).astype(np.float32), w.name))
m.graph.input[0].type.tensor_type.shape.dim[1].dim_value = 1
save(m, 'gray')
`;

const made = (await python(VARIANTS, [model('fr_detect.onnx'), work])).trim().split('\n');
const extra: Record<string, string[]> = { dynamic: ['--size', '320x240'] };

test('the onnx package made every variant of fr_detect', () => {
  assert.deepEqual(made, ['opset7', 'opset9', 'opset11', 'opset13', 'opset17', 'dynamic', 'nhwc', 'gray']);
});

for (const name of made) {
  test(`fr_detect ${name}: int8cal run, ≥ 90 % of compute ops int8 in both placements, checker-valid Q/DQ models that ONNX Runtime scores`, async (t) => {
    const out = join(work, `run-${name}`);
    await exec('node', [cli, 'run', '--model', join(work, `${name}.onnx`), '--data', samples('faces', 'calibration'), '--eval-data', samples('people', 'evaluation'),
      '--out', out, '--preset', 'symmetric', '--max-images', '2', '--batch-size', '1', '--iterations', '1', '--quiet', ...(extra[name] ?? [])], { maxBuffer: 16 * 1024 * 1024 });
    const build = JSON.parse(await readFile(join(out, 'build.json'), 'utf8')) as BuildJson;
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results;
    for (const [variant, file] of [['int8', 'model.int8.onnx'], ['int8-ort', 'model.int8-ort.onnx']] as const) {
      const coverage = build.variants[variant]!.report!.coverage;
      assert.ok(coverage.quantized >= 0.9 * coverage.quantizable, `${variant}: ${coverage.quantized}/${coverage.quantizable}`);
      await checkModel(join(out, file));
      const psnr = Math.min(...results.variants.find((v) => v.name === variant)!.outputs.map((o) => fromDecibels(o.psnr!.value)));
      t.diagnostic(`${variant}: ${coverage.quantized}/${coverage.quantizable} compute ops int8, worst-output PSNR ${psnr.toFixed(1)} dB`);
      assert.ok(Number.isFinite(psnr) && psnr > 20, `${variant}: PSNR ${psnr}`);
    }
  });
}
