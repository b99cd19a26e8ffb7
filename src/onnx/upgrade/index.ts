/**
 * Opset upgrade of the default ONNX domain (to 13 by default: the first opset with
 * per-channel Q/DQ). Each node is walked through the schema changes between the model's opset
 * and the target: a compatible change leaves it as is, a converter rewrites it, anything else
 * is an error naming the node. The result means exactly what the input meant.
 */
import { Int8calError } from '../../core/errors.js';
import { opsetVersion } from '../graph.js';
import type { GraphProto, ModelProto, NodeProto } from '../proto.js';
import { axesInputConverters } from './axes-inputs.js';
import { clipPadConverters } from './clip-pad.js';
import { UpgradeContext } from './context.js';
import { cannotConvert, type Converter } from './converter.js';
import { legacyConverters } from './legacy.js';
import { resizeConverters } from './resize.js';
import { changesBetween, isCompatibleChange } from './schema.js';
import { softmaxConverters } from './softmax.js';

export type { Converter } from './converter.js';

/** Converter registry: `op@version` → converter. */
export const CONVERTERS: ReadonlyMap<string, Converter> = new Map(
  [...resizeConverters, ...axesInputConverters, ...clipPadConverters, ...softmaxConverters, ...legacyConverters]
    .map((c) => [`${c.op}@${c.version}`, c]),
);

/** IR version 7 (ONNX 1.8) is the first that knows opset 13. */
const MIN_IR_VERSION = 7;
const MAX_TARGET = 13;

/**
 * Returns the model upgraded to opset `target` of the default domain. A model already at or
 * above `target` is returned unchanged. Throws Int8calError (code OPSET_UPGRADE) naming the
 * first node that cannot be converted.
 */
export function upgradeOpset(model: ModelProto, target = MAX_TARGET): ModelProto {
  if (!Number.isInteger(target) || target < 7 || target > MAX_TARGET) {
    throw new Int8calError('OPSET_UPGRADE', `Cannot upgrade to opset ${target}: int8cal upgrades to opsets 7..${MAX_TARGET}`);
  }
  const source = opsetVersion(model);
  if (!source) {
    throw new Int8calError('OPSET_UPGRADE', 'The model does not import the default ONNX domain', {
      hint: 'the model must use standard ONNX operators (opset_import with domain "")',
    });
  }
  if (source >= target) return model;
  const ctx = new UpgradeContext(model, source, target);
  const graph = upgradeGraph(model.graph!, source, ctx);
  graph.initializer = [...(graph.initializer ?? []), ...ctx.addedInitializers];
  return {
    ...model,
    irVersion: Math.max(Number(model.irVersion ?? 0), MIN_IR_VERSION),
    opsetImport: (model.opsetImport ?? []).map((o) =>
      (o.domain ?? '') === '' || o.domain === 'ai.onnx' ? { ...o, version: target } : o),
    graph,
  };
}

function upgradeGraph(graph: GraphProto, source: number, ctx: UpgradeContext): GraphProto {
  return { ...graph, node: (graph.node ?? []).flatMap((n) => upgradeNode(n, source, ctx)) };
}

function upgradeNode(node: NodeProto, from: number, ctx: UpgradeContext): NodeProto[] {
  if (node.domain && node.domain !== 'ai.onnx') return [node];
  const op = node.opType ?? '';
  for (const version of changesBetween(op, from, ctx.target)) {
    const converter = CONVERTERS.get(`${op}@${version}`);
    if (converter) return converter.convert(node, ctx).flatMap((n) => upgradeNode(n, version, ctx));
    if (!isCompatibleChange(op, version)) {
      throw cannotConvert(node, version, `the ${op} schema changed at opset ${version} and int8cal has no converter for that change`);
    }
  }
  return [withUpgradedSubgraphs(node, ctx)];
}

/** If / Loop / Scan bodies use the model's opset too. */
function withUpgradedSubgraphs(node: NodeProto, ctx: UpgradeContext): NodeProto {
  if (!(node.attribute ?? []).some((a) => a.g || a.graphs?.length)) return node;
  return {
    ...node,
    attribute: (node.attribute ?? []).map((a) => ({
      ...a,
      ...(a.g ? { g: upgradeGraph(a.g, ctx.source, ctx) } : {}),
      ...(a.graphs?.length ? { graphs: a.graphs.map((g) => upgradeGraph(g, ctx.source, ctx)) } : {}),
    })),
  };
}
