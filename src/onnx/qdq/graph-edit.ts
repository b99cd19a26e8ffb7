import type { ModelProto, NodeProto, TensorProto } from '../proto.js';

/** Node replacements for a model (an empty list removes the node), and the constants they add and retire. */
export class GraphEdit {
  readonly replaced = new Map<NodeProto, NodeProto[]>();
  readonly added: TensorProto[] = [];
  /** Initializers the replaced nodes read; dropped unless something still reads them. */
  readonly retired = new Set<string>();

  replace(node: NodeProto, by: NodeProto[], retiredInputs: readonly (string | undefined)[] = []): void {
    this.replaced.set(node, by);
    for (const name of retiredInputs) if (name) this.retired.add(name);
  }

  apply(model: ModelProto): ModelProto {
    if (this.replaced.size === 0) return model;
    const graph = model.graph!;
    const node = (graph.node ?? []).flatMap((n) => this.replaced.get(n) ?? [n]);
    const read = new Set(node.flatMap((n) => n.input ?? []));
    const kept = (graph.initializer ?? []).filter((t) => read.has(t.name ?? '') || !this.retired.has(t.name ?? ''));
    return { ...model, graph: { ...graph, node, initializer: [...kept, ...this.added] } };
  }
}
