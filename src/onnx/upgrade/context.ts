import type { GraphProto, ModelProto, NodeProto, TensorProto } from '../proto.js';
import { inferRanks } from './rank.js';
import { float32Tensor, int64Tensor } from './tensors.js';

/**
 * What a converter may ask about the model and add to it: constants, ranks, fresh names.
 * Names are made unique against every name in the model and are derived from the node being
 * converted, so the same model always upgrades to the same bytes.
 */
export class UpgradeContext {
  readonly #used = new Set<string>();
  readonly #constants = new Map<string, TensorProto>();
  readonly #added: TensorProto[] = [];
  readonly #ranks: Map<string, number>;

  constructor(readonly model: ModelProto, readonly source: number, readonly target: number) {
    const graph = model.graph!;
    collectNames(graph, this.#used);
    for (const t of graph.initializer ?? []) if (t.name) this.#constants.set(t.name, t);
    for (const n of graph.node ?? []) {
      const value = n.opType === 'Constant' ? (n.attribute ?? []).find((a) => a.name === 'value')?.t : undefined;
      if (value && n.output?.[0]) this.#constants.set(n.output[0], value);
    }
    this.#ranks = inferRanks(graph, (name) => this.#constants.get(name));
  }

  /** A tensor/node name not used anywhere in the model yet (`base`, else `base_1`, `base_2`…). */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.#used.has(name); i++) name = `${base}_${i}`;
    this.#used.add(name);
    return name;
  }

  /** The value of a tensor that is an initializer or a Constant node output, if it is one. */
  constant(name: string): TensorProto | undefined {
    return this.#constants.get(name);
  }

  /** The rank of a tensor when it can be inferred statically. */
  rank(name: string): number | undefined {
    return this.#ranks.get(name);
  }

  /** Adds an initializer under a fresh name derived from `base`; returns that name. */
  addInitializer(base: string, make: (name: string) => TensorProto): string {
    const name = this.uniqueName(base);
    const tensor = make(name);
    this.#added.push(tensor);
    this.#constants.set(name, tensor);
    return name;
  }

  int64(base: string, values: readonly (number | bigint)[], dims?: readonly number[]): string {
    return this.addInitializer(base, (name) => int64Tensor(name, values, dims));
  }

  float(base: string, values: readonly number[], dims?: readonly number[]): string {
    return this.addInitializer(base, (name) => float32Tensor(name, values, dims));
  }

  /** Initializers added by converters, in the order they were added. */
  get addedInitializers(): readonly TensorProto[] {
    return this.#added;
  }
}

/** Every node, tensor and graph name in the graph and its subgraphs. */
export function collectNames(graph: GraphProto, into: Set<string>): void {
  const add = (n: string | null | undefined) => n && into.add(n);
  for (const t of graph.initializer ?? []) add(t.name);
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) add(v.name);
  for (const n of graph.node ?? []) collectNodeNames(n, into);
}

function collectNodeNames(node: NodeProto, into: Set<string>) {
  if (node.name) into.add(node.name);
  for (const t of [...(node.input ?? []), ...(node.output ?? [])]) if (t) into.add(t);
  for (const a of node.attribute ?? []) {
    for (const g of [a.g, ...(a.graphs ?? [])]) if (g) collectNames(g, into);
  }
}
