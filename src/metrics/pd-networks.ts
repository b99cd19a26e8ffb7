/**
 * Feature networks for perceptual distance (PD) and their pass thresholds — the one table of
 * known thresholds. A threshold belongs to a network + feature tensor: PD values from
 * different networks are not comparable, so a verdict is given only when the network used
 * is one of these (or the user gives a threshold).
 */

/** How 0..255 RGB pixels become the network's input: (pixel·scale − mean[c]) / std[c]. */
export interface FeatureInputSpec {
  /** Used when the network's input H/W are dynamic. */
  width: number;
  height: number;
  scale: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

export interface KnownFeatureNetwork {
  id: string;
  description: string;
  /** File names that identify the network (basename, case-insensitive). */
  fileName: RegExp;
  /** Feature tensor the threshold was set for. Undefined: any tensor of length `featureSize`. */
  tensor?: string;
  /** Embedding length; the threshold applies only to embeddings of this length. */
  featureSize: number;
  input: FeatureInputSpec;
  /** Pass when mean PD ≤ threshold. */
  threshold: number;
  /** Where the threshold comes from (shown in reports next to every PD verdict). */
  thresholdSource: string;
}

/**
 * fr-expression: the default (faceplugin-face-recognition-js@0.0.1 `model/fr_expression.onnx`,
 * a DenseNet-121-like classifier, pooled 1024-d feature = GlobalAveragePool output `1159`).
 * Its threshold 3.4 is the mean PD between the 39 evaluation photos of the samples
 * (datasets/samples/scenes/evaluation + people/evaluation, each first fitted inside 512×512)
 * and their JPEG quality-50 re-encodes (sharp/libvips defaults, 4:2:0), measured through this
 * module's pipeline (RGB 0..255 → bilinear to 224×224 → x/255). Reading: "a variant passes
 * when its output differs from fp32 no more than a JPEG q50 copy differs from the original" —
 * visible only on close inspection. Same photos, same pipeline (mean, [min, max]):
 *   JPEG q90 1.43 [0.65, 2.91] · q50 3.43 [1.31, 7.05] · q10 10.04 [3.76, 22.6]
 *   blur σ2 10.10 [5.08, 17.1] · a different photo 26.5
 * (The team's 12-photo measurement agrees: q90 0.79, q50 3.09, q10 10.65, σ2 12.36, other 25.65.)
 * Caveat — PD depends on the output's resolution: the same JPEG q50 scores higher on small
 * images (8 scene photos fitted inside 224 / 320 / 512 px: 5.84 / 3.95 / 2.51), because
 * artefacts are larger relative to the content and bilinear downscaling to 224 hides less.
 * The threshold suits outputs of ~300–600 px (most of the photos are 480×360); for outputs near
 * 224 px it is strict — pass --pd-threshold to set your own.
 * test/metrics/pd.test.ts checks the ordering on real photos through the real network.
 */
export const KNOWN_FEATURE_NETWORKS: readonly KnownFeatureNetwork[] = [
  {
    id: 'fr-expression',
    description: 'fr_expression DenseNet pooled features (1024-d, tensor 1159)',
    fileName: /^fr_expression\.onnx$/i,
    tensor: '1159',
    featureSize: 1024,
    input: { width: 224, height: 224, scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
    threshold: 3.4,
    thresholdSource: 'mean PD of JPEG q50 re-encodes of the sample evaluation photos',
  },
  {
    id: 'inceptionv3-pool',
    description: 'InceptionV3 global-average-pool features (2048-d)',
    fileName: /inception[-_]?v3/i,
    featureSize: 2048,
    // Keras/TF InceptionV3 preprocessing (x/127.5 − 1) at 299×299.
    input: { width: 299, height: 299, scale: 1 / 127.5, mean: [1, 1, 1], std: [1, 1, 1] },
    threshold: 12,
    thresholdSource: 'the hackathon\'s PD pass threshold for InceptionV3 pool features',
  },
];

/** The default PD network. */
export const DEFAULT_FEATURE_NETWORK_ID = 'fr-expression';

export function knownFeatureNetwork(id: string): KnownFeatureNetwork | undefined {
  return KNOWN_FEATURE_NETWORKS.find((n) => n.id === id);
}

/** The known network a model file is, by its file name (its input spec applies to any of its tensors). */
export function recognizeFeatureNetwork(fileBaseName: string): KnownFeatureNetwork | undefined {
  return KNOWN_FEATURE_NETWORKS.find((n) => n.fileName.test(fileBaseName));
}

/** Whether a known network's threshold holds for this feature tensor. */
export function thresholdApplies(network: KnownFeatureNetwork, tensor: string): boolean {
  return network.tensor === undefined || network.tensor === tensor;
}
