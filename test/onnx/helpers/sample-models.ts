/** The six sample models with the preprocessing they expect and the photo sets to use. */
import { model, samples } from '../../support/paths.js';
import type { FeatureInputSpec } from '../../../src/metrics/pd-networks.js';
import { listImages } from './images.js';

export interface SampleModel {
  /** Short name used in test titles. */
  name: string;
  file: string;
  input: string;
  spec: FeatureInputSpec;
  /** Photo folders to calibrate on (the model's own domain). */
  calibration: string[];
  /** Photo folders to evaluate on (never used for calibration). */
  evaluation: string[];
}

const imagenet = { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;
const halfCentered = { scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } as const;
const face = { scale: 1, mean: [127, 127, 127], std: [128, 128, 128] } as const;

export const SAMPLE_MODELS: readonly SampleModel[] = [
  { name: 'PaddleOCR det', file: 'ch_PP-OCRv4_det_infer.onnx', input: 'x', spec: { width: 640, height: 640, ...imagenet },
    calibration: [samples('text', 'calibration'), samples('scenes', 'calibration')], evaluation: [samples('text', 'evaluation')] },
  { name: 'PaddleOCR rec', file: 'ch_PP-OCRv4_rec_infer.onnx', input: 'x', spec: { width: 320, height: 48, ...halfCentered },
    calibration: [samples('text', 'calibration')], evaluation: [samples('text', 'evaluation')] },
  { name: 'PaddleOCR cls', file: 'ch_ppocr_mobile_v2.0_cls_infer.onnx', input: 'x', spec: { width: 192, height: 48, ...halfCentered },
    calibration: [samples('text', 'calibration')], evaluation: [samples('text', 'evaluation')] },
  { name: 'fr_detect', file: 'fr_detect.onnx', input: 'input', spec: { width: 320, height: 240, ...face },
    calibration: [samples('people', 'calibration'), samples('faces', 'calibration')], evaluation: [samples('people', 'evaluation')] },
  { name: 'fr_expression', file: 'fr_expression.onnx', input: 'input', spec: { width: 224, height: 224, scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
    calibration: [samples('faces', 'calibration')], evaluation: [samples('lfw', 'evaluation')] },
  { name: 'fr_feature', file: 'fr_feature.onnx', input: 'input', spec: { width: 112, height: 112, ...face },
    calibration: [samples('faces', 'calibration')], evaluation: [samples('lfw', 'evaluation')] },
];

export const modelPath = (m: SampleModel): string => model(m.file);

/** Image files of several folders, in folder then name order, at most `limit`. */
export async function photos(dirs: readonly string[], limit = Infinity): Promise<string[]> {
  const all: string[] = [];
  for (const dir of dirs) all.push(...(await listImages(dir)));
  return all.slice(0, limit);
}
