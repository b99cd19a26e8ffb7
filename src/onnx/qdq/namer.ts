import type { GraphProto } from '../proto.js';
import { collectNames } from '../upgrade/context.js';

/** Fresh names, unique against every name in the graph and derived from a base (deterministic). */
export class Namer {
  readonly #used = new Set<string>();
  constructor(graph: GraphProto) { collectNames(graph, this.#used); }
  take(base: string): string {
    let name = base;
    for (let i = 1; this.#used.has(name); i++) name = `${base}_${i}`;
    this.#used.add(name);
    return name;
  }
}
