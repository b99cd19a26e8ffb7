/** Metrics: pure functions and streaming accumulators; results are plain JSON-safe data. */
export * from './data.js';
export * from '../../reports/verdict.js';
export * from './stats.js';
export * from './psnr.js';
export * from './similarity.js';
export * from './classification.js';
export * from './image-output.js';
export * from './pd-networks.js';
export * from './pd.js';
export * from './latency.js';
export * from './speed.js';
export * from './detection/index.js';
export * from './agreement.js';
export * from './output-metric.js';
export * from './output-metrics.js';
