/** Small helpers to read node attributes and to build nodes (used by upgrade, qdq and fp16). */
import { AttributeType, type AttributeProto, type NodeProto, type TensorProto } from '../proto.js';

export function attribute(node: NodeProto, name: string): AttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

export function hasAttribute(node: NodeProto, name: string): boolean {
  return attribute(node, name) !== undefined;
}

export function intAttribute(node: NodeProto, name: string, fallback: number): number;
export function intAttribute(node: NodeProto, name: string): number | undefined;
export function intAttribute(node: NodeProto, name: string, fallback?: number): number | undefined {
  const a = attribute(node, name);
  return a ? Number(a.i ?? 0) : fallback;
}

/** int64 list attribute as bigint (Slice ends are often INT64_MAX, beyond 2^53). */
export function intsAttribute(node: NodeProto, name: string): bigint[] | undefined {
  const a = attribute(node, name);
  return a ? (a.ints ?? []).map((v) => BigInt(String(v))) : undefined;
}

export function floatAttribute(node: NodeProto, name: string, fallback: number): number;
export function floatAttribute(node: NodeProto, name: string): number | undefined;
export function floatAttribute(node: NodeProto, name: string, fallback?: number): number | undefined {
  const a = attribute(node, name);
  return a ? Number(a.f ?? 0) : fallback;
}

export function floatsAttribute(node: NodeProto, name: string): number[] | undefined {
  const a = attribute(node, name);
  return a ? (a.floats ?? []).map(Number) : undefined;
}

export function stringAttribute(node: NodeProto, name: string, fallback: string): string;
export function stringAttribute(node: NodeProto, name: string): string | undefined;
export function stringAttribute(node: NodeProto, name: string, fallback?: string): string | undefined {
  const a = attribute(node, name);
  return a ? Buffer.from(a.s ?? new Uint8Array()).toString('utf8') : fallback;
}

export function intAttr(name: string, value: number | bigint): AttributeProto {
  return { name, type: AttributeType.INT, i: Number(value) };
}
export function intsAttr(name: string, values: readonly (number | bigint)[]): AttributeProto {
  return { name, type: AttributeType.INTS, ints: values.map((v) => Number(v)) };
}
export function floatAttr(name: string, value: number): AttributeProto {
  return { name, type: AttributeType.FLOAT, f: value };
}
export function floatsAttr(name: string, values: readonly number[]): AttributeProto {
  return { name, type: AttributeType.FLOATS, floats: [...values] };
}
export function stringAttr(name: string, value: string): AttributeProto {
  return { name, type: AttributeType.STRING, s: Buffer.from(value, 'utf8') };
}
export function tensorAttr(name: string, value: TensorProto): AttributeProto {
  return { name, type: AttributeType.TENSOR, t: value };
}

/** A copy of the node without the named attributes and with `extra` set (replacing same names). */
export function withAttributes(node: NodeProto, remove: readonly string[], extra: readonly AttributeProto[] = []): NodeProto {
  const drop = new Set([...remove, ...extra.map((a) => a.name ?? '')]);
  const kept = (node.attribute ?? []).filter((a) => !drop.has(a.name ?? ''));
  return { ...node, attribute: [...kept, ...extra] };
}

export interface NodeSpec {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
  attributes?: readonly AttributeProto[];
  domain?: string;
}

export function makeNode(spec: NodeSpec): NodeProto {
  const node: NodeProto = {
    name: spec.name,
    opType: spec.opType,
    input: [...spec.inputs],
    output: [...spec.outputs],
    attribute: [...(spec.attributes ?? [])],
  };
  if (spec.domain) node.domain = spec.domain;
  return node;
}

/** The name used in messages: the node's name, or its op type and first output. */
export function nodeLabel(node: NodeProto): string {
  return node.name || `${node.opType} → ${node.output?.[0] ?? '?'}`;
}
