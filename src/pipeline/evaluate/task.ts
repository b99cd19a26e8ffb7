import { Int8calError } from '../../core/errors.js';
import type { HostTensor } from '../../engines/engine.js';
import type { TensorInfo } from '../../onnx/graph.js';
import type { Geometry } from '../../../datasets/images/index.js';
import { decodeDetections, nms, toSourcePixels, type BoxFormat, type Detection } from '../../metrics/detection/index.js';
import type { Task } from '../../../reports/results-schema.js';

export interface DetectionSpec {
  boxes: string;
  scores: string;
  boxFormat: BoxFormat;
  scoreThreshold: number;
  nmsIou: number;
}

export interface TaskOptions {
  task: Task | 'auto';
  boxes?: string;
  scores?: string;
  boxFormat: BoxFormat;
  scoreThreshold: number;
  nmsIou: number;
}

/**
 * The task whose metrics apply. `auto`: detection when box and score outputs are found,
 * classification for a single [N, K] output, map for a single 1-channel image-like output.
 */
export function resolveTask(outputs: readonly TensorInfo[], o: TaskOptions): { task: Task; detection?: DetectionSpec } {
  const boxes = o.boxes ?? outputs.find((t) => /^boxes$/i.test(t.name))?.name;
  const scores = o.scores ?? outputs.find((t) => /^scores$/i.test(t.name))?.name;
  const detection = boxes && scores ? { boxes, scores, boxFormat: o.boxFormat, scoreThreshold: o.scoreThreshold, nmsIou: o.nmsIou } : undefined;
  if (o.task === 'detection') {
    if (!detection) {
      throw new Int8calError('TASK_OUTPUTS', 'Detection metrics need the outputs holding boxes and scores', {
        hint: `pass --boxes NAME --scores NAME (outputs: ${outputs.map((t) => t.name).join(', ')})`,
      });
    }
    for (const name of [detection.boxes, detection.scores]) {
      if (!outputs.some((t) => t.name === name)) throw new Int8calError('TASK_OUTPUTS', `The model has no output ${name}`, { tensor: name });
    }
    return { task: 'detection', detection };
  }
  if (o.task !== 'auto') return { task: o.task };
  if (detection) return { task: 'detection', detection };
  if (outputs.length === 1) {
    const dims = outputs[0]!.dims;
    if (dims.length === 2) return { task: 'classification' };
    if (dims.length === 4 && dims[1] === 1) return { task: 'map' };
  }
  return { task: 'none' };
}

/**
 * One image's detections in source-photo pixels: decode, NMS, map back through the reader's
 * geometry. Boxes whose coordinates are all ≤ 1.5 are taken as normalized to the input size.
 * A two-column score tensor is [background, object] (SSD/UltraFace): column 0 is never reported.
 */
export function detectionsOf(outputs: Record<string, HostTensor>, spec: DetectionSpec, n: number, geometry: Geometry, input: { width: number; height: number }): Detection[] {
  const boxes = outputs[spec.boxes]!;
  const scores = outputs[spec.scores]!;
  const boxesPer = boxes.data.length / boxes.dims[0]!;
  const scoresPer = scores.data.length / scores.dims[0]!;
  const boxData = (boxes.data as Float32Array).subarray(n * boxesPer, (n + 1) * boxesPer);
  const scoreData = (scores.data as Float32Array).subarray(n * scoresPer, (n + 1) * scoresPer);
  const classes = scoresPer / (boxesPer / 4);
  const candidates = decodeDetections(boxData, scoreData, {
    format: spec.boxFormat, scoreThreshold: spec.scoreThreshold, ...(classes === 2 ? { backgroundClass: 0 } : {}),
  });
  const normalized = candidates.every((d) => Math.max(d.x1, d.y1, d.x2, d.y2) <= 1.5);
  return nms(candidates, { scoreThreshold: spec.scoreThreshold, iouThreshold: spec.nmsIou })
    .map((d) => toSourcePixels(d, geometry, normalized ? input : undefined));
}

