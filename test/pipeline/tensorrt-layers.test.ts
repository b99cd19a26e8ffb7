// Layer precisions from TensorRT's engine inspector. The fixtures are the inspector's JSON of
// real fr_detect engines built by `build --engine tensorrt` on an NVIDIA H200 (TensorRT 10.6,
// bench/tensorrt-gpu.sh, 2026-12-01), trimmed to each layer's name, type and tensor formats.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeLayers, engineLayers } from '../../src/pipeline/tensorrt-layers.js';
import { engineLayersText } from '../../reports/view.js';
import type { VariantResult } from '../../reports/results-schema.js';
import { repoRoot } from '../support/paths.js';

const fixture = (name: string) => readFileSync(join(repoRoot, 'test', 'fixtures', 'tensorrt', `fr_detect.${name}.layers.json`), 'utf8');
type Layer = { Name: string; LayerType: string; Inputs: { 'Format/Datatype': string }[] };
const layersOf = (name: string) => (JSON.parse(fixture(name)) as { Layers: Layer[] }).Layers;

test('fp16 engine: every compute layer counted once, the one TensorRT kept in fp32 named (Softmax)', () => {
  const layers = engineLayers(fixture('fp16'))!;
  const all = layersOf('fp16');
  assert.equal(layers.total + layers.dataLayers, all.length);
  assert.equal(layers.dataLayers, all.filter((l) => ['Reformat', 'NoOp', 'Constant'].includes(l.LayerType)).length);
  const p = layers.byPrecision;
  assert.equal(p.int8 + p.fp16 + p.fp32 + p.other, layers.total);
  assert.equal(p.int8, 0, 'an fp16 engine has no int8 layer');
  // Exactly the layers whose inputs are FP32 are fp32: here only the softmax.
  const fp32 = all.filter((l) => !['Reformat', 'NoOp', 'Constant'].includes(l.LayerType) && l.Inputs.every((t) => /FP32/.test(t['Format/Datatype'])));
  assert.deepEqual(layers.fp32Layers, fp32.map((l) => `${l.Name} (${l.LayerType})`));
  assert.match(layers.fp32Layers.join(), /Softmax/);
});

test('with --trt-precision-constraints obey the same model has no fp32 layer', () => {
  const free = engineLayers(fixture('fp16'))!;
  const obeyed = engineLayers(fixture('fp16-obey'))!;
  assert.equal(obeyed.total, free.total);
  assert.equal(obeyed.byPrecision.fp32, 0);
  assert.equal(obeyed.byPrecision.fp16, obeyed.total);
});

test('int8 engine: int8 convolutions, fp32 shuffles and softmax; text never calls it plainly int8', () => {
  const layers = engineLayers(fixture('int8'))!;
  const convs = layersOf('int8').filter((l) => l.LayerType === 'CaskConvolution');
  assert.ok(convs.length > 0 && convs.every((l) => /Int8/.test(l.Inputs[0]!['Format/Datatype'])), 'every convolution reads int8');
  assert.ok(layers.byPrecision.int8 >= convs.length);
  assert.ok(layers.byPrecision.fp32 > 0);
  const { int8, fp16, fp32 } = layers.byPrecision;
  assert.equal(describeLayers(layers), `layers: ${int8} int8, ${fp16} fp16, ${fp32} fp32 of ${layers.total}`);
  const variant = { name: 'trt-int8', precision: 'int8', layers } as unknown as VariantResult;
  assert.equal(engineLayersText(variant), `int8 in ${int8} of ${layers.total} layers, ${fp16} fp16, ${fp32} fp32`);
});

test('a plan with layer names only, or JSON that does not parse, gives no counts', () => {
  assert.equal(engineLayers(JSON.stringify({ Layers: ['Conv_0', 'Relu_1'] })), undefined);
  assert.equal(engineLayers('{"Layers": [{"Name": "a"b"}]}'), undefined);
});
