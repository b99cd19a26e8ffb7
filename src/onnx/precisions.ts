import type { Precision } from '../../reports/results-schema.js';

/** What `build` makes besides the fp32 reference. */
export const BUILD_PRECISIONS = ['fp16', 'int8'] as const satisfies readonly Precision[];
export type BuildPrecision = (typeof BUILD_PRECISIONS)[number];
