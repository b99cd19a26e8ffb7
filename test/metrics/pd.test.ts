import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { FeatureNetwork, PdAccumulator, featurePd, DEFAULT_PD_MODEL } from '../../src/metrics/pd.js';
import { PerceptualDistance } from '../support/perceptual-distance.js';
import { autoRange, imageAt, isImageLike, resizeBilinear, toPixel } from '../../src/metrics/image-output.js';
import { KNOWN_FEATURE_NETWORKS, recognizeFeatureNetwork, thresholdApplies } from '../../src/metrics/pd-networks.js';
import type { HostTensor } from '../../src/engines/engine.js';
import { Int8calError } from '../../src/core/errors.js';
import { model, samples } from '../support/paths.js';

const FR_EXPRESSION = model('fr_expression.onnx');

function requireData(path: string): string {
  if (!existsSync(path)) assert.fail(`${path} is missing: run \`npm run datasets\` first (it installs the sample models and photos)`);
  return path;
}

/** A photo as a 1×3×H×W float tensor in 0..1, as an image-to-image model would output it. */
async function asTensor(image: Buffer): Promise<HostTensor> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const plane = info.width * info.height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = data[i * 3 + c]! / 255;
  return { type: 'float32', data: out, dims: [1, 3, info.height, info.width] };
}

test('image-like outputs, value ranges and bilinear resize', () => {
  assert.ok(isImageLike([1, 3, 64, 64]));
  assert.ok(isImageLike([2, 1, 32, 48]));
  assert.ok(!isImageLike([1, 7]));
  assert.ok(!isImageLike([1, 1024, 1, 1]));
  assert.ok(!isImageLike([1, 4, 64, 64]));
  assert.deepEqual(autoRange([0, 0.5, 1]), [0, 1]);
  assert.deepEqual(autoRange([-0.9, 0.2]), [-1, 1]);
  assert.deepEqual(autoRange([3, 200]), [0, 255]);
  assert.deepEqual(autoRange([-5, 7, NaN]), [-5, 7]);
  assert.deepEqual(autoRange([300, 300]), [299.5, 300.5]);
  assert.equal(toPixel(0.5, [0, 1]), 127.5);
  assert.equal(toPixel(2, [0, 1]), 255);
  assert.equal(toPixel(NaN, [0, 1]), 0);
  // 2×1 → 4×1 with half-pixel centres: x' = (x + 0.5)/2 − 0.5 → −0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1)
  assert.deepEqual([...resizeBilinear([0, 4], 2, 1, 4, 1)], [0, 1, 3, 4]);
  // 4×4 → 2×2 averages the centre of each 2×2 block
  const grid = Float32Array.from({ length: 16 }, (_, i) => i);
  assert.deepEqual([...resizeBilinear(grid, 4, 4, 2, 2)], [2.5, 4.5, 10.5, 12.5]);
  const batch = Float32Array.from({ length: 2 * 64 }, (_, i) => i);
  const second = imageAt(batch, [2, 1, 8, 8], 1);
  assert.equal(second.data[0], 64);
  assert.equal(second.data.length, 64);
});

test('the known-threshold table is consistent', () => {
  const fr = recognizeFeatureNetwork('fr_expression.onnx')!;
  assert.equal(fr.threshold, 3.4);
  assert.ok(thresholdApplies(fr, '1159'));
  assert.ok(!thresholdApplies(fr, 'output'));
  const inception = recognizeFeatureNetwork('inception_v3.onnx')!;
  assert.equal(inception.threshold, 12);
  assert.ok(thresholdApplies(inception, 'avg_pool'));
  assert.equal(new Set(KNOWN_FEATURE_NETWORKS.map((n) => n.id)).size, KNOWN_FEATURE_NETWORKS.length);
  assert.equal(DEFAULT_PD_MODEL, FR_EXPRESSION);
});

test('PD accumulator: mean L2, verdict only with a threshold, broken embeddings fail', () => {
  const withThreshold = new PdAccumulator({ network: 'x', tensor: 't', threshold: 2, thresholdSource: 'test', featureSize: 2 });
  withThreshold.add([0, 0], [3, 4]); // 5
  withThreshold.add([1, 1], [1, 1]); // 0
  const r = withThreshold.result();
  assert.equal(r.value, 2.5);
  assert.equal(r.verdict, 'fail');
  assert.equal(r.thresholdSource, 'test');
  // a threshold set for another embedding size does not apply
  const other = new PdAccumulator({ network: 'x', tensor: 't', threshold: 2, featureSize: 2048 });
  other.add([0], [1]);
  assert.equal(other.result().verdict, undefined);
  assert.equal(other.result().threshold, undefined);
  const own = featurePd('penultimate');
  own.add([1, 2], [1, 2]);
  assert.deepEqual([own.result().value, own.result().network, own.result().verdict], [0, 'model', undefined]);
  const broken = featurePd('f', 10);
  broken.add([1, 2], [NaN, 2]);
  broken.add([1, 2], [1, 2.5]);
  const b = broken.result();
  assert.deepEqual([b.brokenImages, b.value, b.verdict, b.perImage[0]], [1, 0.5, 'fail', null]);
  // every image broken: the known network's threshold still applies (no embedding size to check) and fails
  const allBroken = new PdAccumulator({ network: 'x', tensor: 't', threshold: 2, featureSize: 2 });
  allBroken.addBroken();
  assert.deepEqual([allBroken.result().brokenImages, allBroken.result().threshold, allBroken.result().verdict], [1, 2, 'fail']);
});

test('PD through the real fr_expression network: 0 when identical, ordered by degradation', async (t) => {
  requireData(FR_EXPRESSION);
  const dir = requireData(samples('scenes', 'evaluation'));
  const photos = readdirSync(dir).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort().slice(0, 4).map((f) => join(dir, f));
  assert.equal(photos.length, 4);
  await using network = await FeatureNetwork.create({ model: FR_EXPRESSION, threads: 2 });
  assert.equal(network.id, 'fr-expression');
  assert.equal(network.tensor, '1159');
  assert.equal(network.threshold, 3.4);
  const bases = await Promise.all(photos.map((p) => sharp(p).resize(320, 320, { fit: 'inside' }).removeAlpha().png().toBuffer()));
  const degrade: Record<string, (s: Sharp) => Sharp> = {
    identical: (s) => s.png(),
    q90: (s) => s.jpeg({ quality: 90 }),
    q50: (s) => s.jpeg({ quality: 50 }),
    q10: (s) => s.jpeg({ quality: 10 }),
  };
  const means: Record<string, number> = {};
  for (const [name, fn] of Object.entries(degrade)) {
    const pd = new PerceptualDistance(network);
    for (const base of bases) await pd.add(await asTensor(base), await asTensor(await fn(sharp(base)).toBuffer()));
    const r = pd.result();
    assert.equal(r.network, 'fr-expression');
    assert.equal(r.featureSize, 1024);
    assert.equal(r.threshold, 3.4);
    means[name] = r.value;
    if (name === 'identical') {
      assert.equal(r.value, 0);
      assert.equal(r.verdict, 'pass');
    }
    if (name === 'q10') assert.equal(r.verdict, 'fail');
  }
  t.diagnostic(`mean PD over ${bases.length} photos: ${JSON.stringify(means)}`);
  assert.ok(means.q90! > 0, 'a JPEG re-encode changes the features');
  assert.ok(means.q90! < means.q50! && means.q50! < means.q10!, `PD ordered q90 < q50 < q10: ${JSON.stringify(means)}`);

  // A grey (1-channel) output in [-1, 1]: replicated to 3 channels, the same map for both images.
  const grey = await sharp(bases[0]).greyscale().raw().toBuffer({ resolveWithObject: true });
  const g = Float32Array.from(grey.data, (v) => v / 127.5 - 1);
  const dims = [1, 1, grey.info.height, grey.info.width];
  const pd = new PerceptualDistance(network);
  await pd.add({ type: 'float32', data: g, dims }, { type: 'float32', data: g.slice(), dims });
  await pd.add({ type: 'float32', data: g, dims }, { type: 'float32', data: g.map((v) => -v), dims });
  // NaN where the reference has numbers: broken, not embedded as black pixels; NaN on both sides matches.
  const holed = g.slice();
  holed[0] = NaN;
  await pd.add({ type: 'float32', data: g, dims }, { type: 'float32', data: holed, dims });
  await pd.add({ type: 'float32', data: holed, dims }, { type: 'float32', data: holed.slice(), dims });
  const r = pd.result();
  assert.equal(r.perImage[0], 0);
  assert.ok(r.perImage[1]! > means.q10!, `an inverted image is far: ${r.perImage[1]}`);
  assert.deepEqual([r.perImage[2], r.perImage[3], r.brokenImages, r.verdict], [null, 0, 1, 'fail']);
});

test('PD network errors name the tensor and the file', async () => {
  requireData(FR_EXPRESSION);
  await assert.rejects(FeatureNetwork.create({ model: FR_EXPRESSION, tensor: 'no-such-tensor' }), (error: unknown) => {
    assert.ok(error instanceof Int8calError);
    assert.equal(error.code, 'PD_TENSOR');
    assert.equal(error.subject.tensor, 'no-such-tensor');
    return true;
  });
  await assert.rejects(FeatureNetwork.create({ network: 'vgg' }), /Expected one of fr-expression, inceptionv3-pool for PD network/);
  // a user threshold replaces the table's and says so
  await using n = await FeatureNetwork.create({ model: FR_EXPRESSION, threshold: 1 });
  assert.equal(n.thresholdSource, 'given by the user');
  // another tensor of the known network: its input spec, but no threshold
  await using logits = await FeatureNetwork.create({ model: FR_EXPRESSION, tensor: 'output' });
  assert.equal(logits.threshold, undefined);
  assert.equal(logits.input.width, 224);
});
