/**
 * What precision each layer of a built TensorRT engine really runs in, from the engine
 * inspector's JSON (ProfilingVerbosity::kDETAILED): a layer runs in the precision of its input
 * activations (int8 when any input is int8, else fp16 when any is half, else fp32; a layer without
 * inputs by its outputs). Reformat, NoOp and Constant layers do no arithmetic and are counted apart. The builder flags (kFP16, kINT8) only *allow*
 * a precision: TensorRT keeps a layer in fp32 where that is faster or the only way.
 */

export const LAYER_PRECISIONS = ['int8', 'fp16', 'fp32', 'other'] as const;
export type LayerPrecision = (typeof LAYER_PRECISIONS)[number];

export interface EngineLayers {
  /** Compute layers (everything but Reformat, NoOp and Constant). */
  total: number;
  byPrecision: Record<LayerPrecision, number>;
  /** Reformat, NoOp and Constant layers (format/type conversions TensorRT inserted, weights it holds). */
  dataLayers: number;
  /** The layers that stayed in fp32 (up to 50 names, with their layer type). */
  fp32Layers: string[];
}

interface InspectorTensor { 'Format/Datatype'?: string }
interface InspectorLayer { Name?: string; LayerType?: string; Inputs?: InspectorTensor[]; Outputs?: InspectorTensor[] }

const DATA_LAYERS = new Set(['Reformat', 'NoOp', 'Constant']);

/** The precision one tensor format string names ("Row major linear FP16 format", "Half", "Int8", …). */
function tensorPrecision(format: string | undefined): LayerPrecision {
  const f = (format ?? '').toLowerCase();
  if (/\bint8\b/.test(f)) return 'int8';
  if (/\bfp16\b|\bhalf\b/.test(f)) return 'fp16';
  if (/\bfp32\b|\bfloat\b/.test(f)) return 'fp32';
  return 'other';
}

function layerPrecision(layer: InspectorLayer): LayerPrecision {
  const found = new Set((layer.Inputs?.length ? layer.Inputs : layer.Outputs ?? []).map((t) => tensorPrecision(t['Format/Datatype'])));
  for (const p of LAYER_PRECISIONS) if (found.has(p)) return p;
  return 'other';
}

/**
 * Counts an engine's layers by precision; undefined when the plan holds layer names only
 * (built without detailed profiling verbosity, e.g. by another tool) or the inspector's JSON
 * does not parse (TensorRT does not escape every layer name).
 */
export function engineLayers(inspectorJson: string): EngineLayers | undefined {
  let parsed: { Layers?: unknown[] };
  try {
    parsed = JSON.parse(inspectorJson) as { Layers?: unknown[] };
  } catch {
    return undefined;
  }
  const layers = parsed.Layers ?? [];
  if (!layers.length || layers.some((l) => typeof l !== 'object' || l === null)) return undefined;
  const out: EngineLayers = { total: 0, byPrecision: { int8: 0, fp16: 0, fp32: 0, other: 0 }, dataLayers: 0, fp32Layers: [] };
  for (const layer of layers as InspectorLayer[]) {
    if (DATA_LAYERS.has(layer.LayerType ?? '')) {
      out.dataLayers++;
      continue;
    }
    const precision = layerPrecision(layer);
    out.total++;
    out.byPrecision[precision]++;
    if (precision === 'fp32' && out.fp32Layers.length < 50) out.fp32Layers.push(`${layer.Name ?? '?'} (${layer.LayerType ?? '?'})`);
  }
  return out;
}

/** "layers: 12 fp16, 28 fp32 of 40" — what an engine named after a precision really runs. */
export function describeLayers(layers: EngineLayers): string {
  const p = layers.byPrecision;
  return `layers: ${LAYER_PRECISIONS.filter((k) => p[k] > 0).map((k) => `${p[k]} ${k}`).join(', ')} of ${layers.total}`;
}
