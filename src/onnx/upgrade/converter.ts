import { Int8calError } from '../../core/errors.js';
import type { NodeProto } from '../proto.js';
import type { UpgradeContext } from './context.js';
import { nodeLabel } from './nodes.js';

/**
 * Rewrites a node written for the schema before `version` into nodes valid (and meaning the
 * same) at `version`. One converter per op and schema change; the registry in index.ts
 * chains them from the model's opset to the target.
 */
export interface Converter {
  op: string;
  version: number;
  convert(node: NodeProto, ctx: UpgradeContext): NodeProto[];
}

export function converter(op: string, version: number, convert: Converter['convert']): Converter {
  return { op, version, convert };
}

/** Same conversion for several ops (e.g. the Softmax family). */
export function converters(ops: readonly string[], version: number, convert: Converter['convert']): Converter[] {
  return ops.map((op) => converter(op, version, convert));
}

/** The error for a node that cannot be converted, naming it and its op. */
export function cannotConvert(node: NodeProto, version: number, why: string, hint?: string): Int8calError {
  return new Int8calError('OPSET_UPGRADE',
    `Cannot upgrade node ${nodeLabel(node)} (${node.opType}) to opset ${version}: ${why}`, {
      node: node.name ?? undefined,
      hint: hint ?? 're-export the model at opset 13 or later, or convert this node by hand',
    });
}

/** A base name for tensors/nodes a converter adds for `node`. */
export function baseName(node: NodeProto, suffix: string): string {
  return `${node.name || node.output?.[0] || node.opType}_${suffix}`;
}
