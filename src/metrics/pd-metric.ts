/** PD as an output metric: each image of an image-like output, embedded by the feature network. */
import { autoRange, imageAt } from './image-output.js';
import { countNonFiniteMismatches, type NumericData } from './data.js';
import type { PdResult } from './pd.js';
import type { OutputMetric } from './output-metric.js';

export const pdMetric: OutputMetric = {
  field: 'pd',
  applies: (o, ctx) => !o.integer && ctx.pd !== undefined && ctx.pdOutputs.includes(o.name),
  create: (_o, ctx) => {
    const network = ctx.pd!;
    const acc = network.accumulator();
    return {
      add: async ({ reference: r, test: t, referenceEmbeddings }) => {
        if (!referenceEmbeddings) return;
        for (let n = 0; n < referenceEmbeddings.length; n++) {
          const image = imageAt(t.data as NumericData, t.dims, n);
          const reference = imageAt(r.data as NumericData, r.dims, n);
          // NaN/Inf where the reference differs: broken, not embedded (the pixel mapping would hide it).
          if (countNonFiniteMismatches(reference.data, image.data) > 0) acc.addBroken();
          else acc.add(referenceEmbeddings[n]!, await network.embed(image, autoRange(reference.data)));
        }
      },
      result: () => acc.result(),
    };
  },
  gates: { pd: (r: PdResult) => r.value },
};
