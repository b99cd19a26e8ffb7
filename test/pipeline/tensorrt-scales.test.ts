import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { parseCache } from '../../calibrators/cache.js';
import { cacheForTensorRt, missingScaleTensors } from '../../src/pipeline/tensorrt-scales.js';
import { prepareModel } from '../../src/pipeline/prepare.js';
import { loadModel } from '../../src/onnx/model-file.js';
import { modelsDir, repoRoot } from '../support/paths.js';

/** ../shared/golden/tensorrt-10.6 next to the repo or one of its ancestors (as for the TensorRT headers). */
function goldenDir(): string | undefined {
  for (let dir = dirname(repoRoot.replace(/\/$/, '')); ; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'golden', 'tensorrt-10.6');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}
const golden = goldenDir();

it('int8cal\'s cache for TensorRT: the loaded version in the header, and constants named and scaled as TensorRT 10.6 names them', { skip: !golden && 'no shared/golden/tensorrt-10.6' }, async () => {
  const text = await readFile(join(golden!, 'fr_detect.entropy2.cache'), 'utf8');
  const trt = parseCache(text);
  const model = await prepareModel(await loadModel(join(modelsDir, 'fr_detect.onnx')), 1);
  const ours = 'TRT-101601-EntropyCalibration2\ninput: 3c021000\n';
  const { text: rewritten, constants } = cacheForTensorRt(ours, model, 100600, 'EntropyCalibration2');
  const out = parseCache(rewritten);
  assert.equal(out.trtVersion, 100600);
  assert.equal(out.algorithm, 'EntropyCalibration2');
  assert.equal(out.scales.get('input'), parseCache(ours).scales.get('input'));
  const trtConstants = [...trt.scales.keys()].filter((k) => k.endsWith('_output') && !k.startsWith('ONNXTRT_') && !k.startsWith('Softmax_'));
  assert.ok(trtConstants.length >= 6, `golden constants: ${trtConstants.join(', ')}`);
  assert.ok(constants >= trtConstants.length);
  for (const name of trtConstants) {
    assert.ok(out.scales.has(name), `${name} predicted`);
    assert.ok(Math.abs(out.scales.get(name)! / trt.scales.get(name)! - 1) < 0.01, `${name}: ${out.scales.get(name)} vs TensorRT ${trt.scales.get(name)}`);
  }
});

it('TensorRT\'s missing-scale warnings give the tensor names', () => {
  const names = missingScaleTensors([
    'Missing scale and zero-point for tensor ONNXTRT_Broadcast_12_output, expect fall back to non-int8 implementation for any layer consuming or producing given tensor',
    'Missing scale and zero-point for tensor conv2d_1.tmp_0, expect fall back to non-int8 implementation for any layer consuming or producing given tensor',
    'Missing scale and zero-point for tensor conv2d_1.tmp_0, expect fall back to non-int8 implementation for any layer consuming or producing given tensor',
    'Unrelated warning',
  ]);
  assert.deepEqual(names, ['ONNXTRT_Broadcast_12_output', 'conv2d_1.tmp_0']);
});
