/**
 * `--task segmentation`: [N, C, H, W] class scores scored as arg-max label maps against fp32's
 * (pixel agreement, mean IoU over the classes either map has). The accumulator on hand-made
 * maps, then a real segmentation network end to end: the zoo's table-line model with its
 * in-graph ArgMax cut off, so it outputs per-pixel class probabilities as most exports do.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeModel, loadModel } from '../../src/onnx/model-file.js';
import { SegmentationAccumulator } from '../../src/metrics/segmentation.js';
import { runPipeline, type RunOptions } from '../../src/pipeline/run.js';
import { model, samples } from '../support/paths.js';

const work = await mkdtemp(join(tmpdir(), 'int8cal-seg-'));
test.after(() => rm(work, { recursive: true, force: true }));

test('label maps: pixel agreement and mean IoU over the classes either map has', () => {
  // 2 images of 2 classes × 4 pixels (NCHW planes). Image 0: labels ref [0,0,1,1], test [0,1,1,1];
  // image 1: ref [1,1,1,1], test the same.
  const ref = Float32Array.from([0.9, 0.8, 0.1, 0.2, 0.1, 0.2, 0.9, 0.8, 0, 0, 0, 0, 1, 1, 1, 1]);
  const test = Float32Array.from([0.9, 0.4, 0.1, 0.2, 0.1, 0.6, 0.9, 0.8, 0, 0, 0, 0, 1, 1, 1, 1]);
  const acc = new SegmentationAccumulator(2);
  acc.add(ref, test, 2);
  const r = acc.result();
  assert.deepEqual(r.perImage, [0.75, 1]);
  assert.equal(r.value, 7 / 8);
  // class 0: ∩ 1, ∪ 2; class 1: ∩ 6, ∪ 7
  assert.equal(r.miou, (1 / 2 + 6 / 7) / 2);
  assert.deepEqual([r.classes, r.pixels], [2, 8]);
});

const ZOO_MODEL = model(join('zoo', 'wired_table_cycle_center_net_v2.onnx'));

test('a segmentation network end to end: the task is guessed from [batch, 3, H, W] scores at the input size, judged by mIoU vs fp32', { skip: !existsSync(ZOO_MODEL) && 'the zoo is not installed (npm run datasets)' }, async (t) => {
  const m = await loadModel(ZOO_MODEL);
  const graph = m.graph!;
  // output ← Unsqueeze ← ArgMax(axis 1) ← the class probabilities
  const producer = (tensor: string) => graph.node!.find((n) => n.output!.includes(tensor))!;
  const unsqueeze = producer(graph.output![0]!.name!);
  const argmax = producer(unsqueeze.input![0]!);
  assert.deepEqual([unsqueeze.opType, argmax.opType], ['Unsqueeze', 'ArgMax']);
  const scores = argmax.input![0]!;
  graph.node = graph.node!.filter((n) => n !== argmax && n !== unsqueeze);
  const [, batch, height, width] = graph.output![0]!.type!.tensorType!.shape!.dim!;
  graph.output = [{ name: scores, type: { tensorType: { elemType: 1, shape: { dim: [batch!, { dimValue: 3 }, height!, width!] } } } }];
  const file = join(work, 'table-lines-scores.onnx');
  await writeFile(file, encodeModel(m));

  const { results } = await runPipeline({
    model: file, data: samples('text', 'calibration'), evalData: samples('text', 'evaluation'), out: join(work, 'run'), maxImages: 4, batchSize: 1,
    preset: 'imagenet', resize: 'letterbox', size: '256x192', precisions: ['int8', 'fp16'], variants: ['fp32', 'fp16', 'int8', 'int8-ort'], iterations: 1,
  } as unknown as RunOptions);
  assert.equal(results.evaluation.task, 'segmentation');
  assert.equal(results.accuracyTarget?.expression, 'miou>=0.95');
  for (const v of results.variants.filter((x) => x.name !== 'fp32')) {
    const seg = v.outputs[0]!.segmentation!;
    t.diagnostic(`${v.name}: mIoU ${seg.miou.toFixed(4)} over ${seg.classes} classes, pixel agreement ${(100 * seg.value).toFixed(3)} %`);
    assert.ok(seg.classes >= 2 && seg.pixels === 256 * 192 * results.evaluation.images.length, JSON.stringify({ ...seg, perImage: undefined }));
    assert.ok(seg.miou > 0 && seg.miou <= 1 && seg.value <= 1);
    assert.equal(results.accuracyTarget!.variants.find((x) => x.name === v.name)!.metrics.miou, seg.miou);
  }
  const fp16 = results.variants.find((v) => v.name === 'fp16')!.outputs[0]!.segmentation!;
  assert.ok(fp16.miou >= 0.98, `fp16 keeps the label maps: mIoU ${fp16.miou}`);
});
