/**
 * Every output metric, in the order an output's results list them. Scoring runs each one that
 * applies to an output; `--fail-on` gate names come from their `gates`.
 */
import type { OutputMetric } from './output-metric.js';
import { psnrMetric } from './psnr.js';
import { similarityMetric } from './similarity.js';
import { agreementMetric } from './agreement.js';
import { pdMetric } from './pd-metric.js';
import { classificationMetric } from './classification.js';
import { probabilityMapMetric } from './detection/probability-map.js';
import { segmentationMetric } from './segmentation.js';

export const OUTPUT_METRICS: readonly OutputMetric[] = [psnrMetric, similarityMetric, agreementMetric, pdMetric, classificationMetric, probabilityMapMetric, segmentationMetric];
