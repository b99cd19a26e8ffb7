import { topologicalOrder } from '../graph.js';
import type { GraphProto, ModelProto, NodeProto, TensorProto } from '../proto.js';

/** Who produces and who reads each tensor, which tensors are constant, in a fixed order. */
export class GraphIndex {
  readonly graph: GraphProto;
  /** Nodes in topological order (ties keep file order). */
  readonly nodes: readonly NodeProto[];
  readonly producer = new Map<string, NodeProto>();
  readonly consumers = new Map<string, { node: NodeProto; input: number }[]>();
  readonly constants = new Map<string, TensorProto>();
  readonly graphInputs: ReadonlySet<string>;
  readonly graphOutputs: ReadonlySet<string>;
  readonly order = new Map<NodeProto, number>();

  constructor(model: ModelProto) {
    this.graph = model.graph!;
    this.nodes = topologicalOrder(this.graph);
    this.nodes.forEach((n, i) => this.order.set(n, i));
    for (const t of this.graph.initializer ?? []) if (t.name) this.constants.set(t.name, t);
    for (const node of this.nodes) {
      for (const out of node.output ?? []) if (out) this.producer.set(out, node);
      if (node.opType === 'Constant' && !node.domain) {
        const value = (node.attribute ?? []).find((a) => a.name === 'value')?.t;
        if (value && node.output?.[0]) this.constants.set(node.output[0], value);
      }
      (node.input ?? []).forEach((name, input) => {
        if (!name) return;
        const list = this.consumers.get(name) ?? [];
        list.push({ node, input });
        this.consumers.set(name, list);
      });
    }
    const initializers = new Set((this.graph.initializer ?? []).map((t) => t.name));
    this.graphInputs = new Set((this.graph.input ?? []).map((i) => i.name ?? '').filter((n) => n && !initializers.has(n)));
    this.graphOutputs = new Set((this.graph.output ?? []).map((o) => o.name ?? ''));
  }

  isConstant(name: string): boolean {
    return this.constants.has(name);
  }

  consumersOf(name: string): { node: NodeProto; input: number }[] {
    return this.consumers.get(name) ?? [];
  }

  /** The single node reading `name`, when there is exactly one and it is not a graph output. */
  soleConsumer(name: string): NodeProto | undefined {
    const list = this.consumersOf(name);
    return list.length === 1 && !this.graphOutputs.has(name) ? list[0]!.node : undefined;
  }

  /** Activation inputs of a node: non-empty inputs that are not constants. */
  activationInputs(node: NodeProto): string[] {
    return (node.input ?? []).filter((n) => n && !this.constants.has(n));
  }
}
