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
 * start: all int8; candidate: a move evaluated and not taken; grow: a move taken (more nodes
 * float); prune: a float node returned to int8 (taken when the target still holds).
 */
export type SearchPhase = 'start' | 'candidate' | 'grow' | 'prune';

export interface SearchStep {
  floatNodes: string[];
  phase: SearchPhase;
  /** Index of the step this one extends (grow/candidate) or prunes; absent for start. */
  base?: number;
  /** On the search's path (start, grow moves, prunes that held). */
  taken: boolean;
  result: Evaluated;
}

export interface SearchInput {
  /** Quantized nodes, most sensitive first. */
  ranking: readonly string[];
  start: Evaluated;
  /** Evaluations the search may spend after the start. */
  budget: number;
  evaluate: (floatNodes: string[]) => Promise<Evaluated>;
}

/** Single-node moves tried per greedy round (besides one bulk move). */
export const SINGLE_MOVES = 2;

/**
 * Greedy forward search with real evaluations, then a backward pruning pass. Each round
 * evaluates the current float set plus each of the top remaining nodes alone, and plus a bulk
 * of the next max(3, |float|) nodes (so spread-out error is bought back in doublings, not one
 * node per round); the best move is taken only if it raises the metric on the tune images and on
 * the check images (`improves`). Moves that don't are dropped — keeping a node float can lower
 * the metric (measured on PaddleOCR det). Once the
 * target holds, each float node (least sensitive first) goes back to int8 if the target still
 * holds without it.
 */
export async function searchFloatSet(input: SearchInput): Promise<SearchStep[]> {
  const steps: SearchStep[] = [{ floatNodes: [], phase: 'start', taken: true, result: input.start }];
  const state = { current: 0, remaining: [...input.ranking], spent: 0 };
  const seen = new Map<string, number>([['', 0]]);
  // A set already evaluated (a prune back to an earlier point) is not evaluated again.
  const tryMove = async (floatNodes: string[], phase: SearchPhase): Promise<number> => {
    const key = [...floatNodes].sort().join('\n');
    if (seen.has(key)) return seen.get(key)!;
    state.spent += 1;
    steps.push({ floatNodes, phase, base: state.current, taken: false, result: await input.evaluate(floatNodes) });
    seen.set(key, steps.length - 1);
    return steps.length - 1;
  };
  const left = () => input.budget - state.spent;
  while (!steps[state.current]!.result.meets && left() > 0 && state.remaining.length) {
    const current = steps[state.current]!;
    const tried: number[] = [];
    for (const move of movesFrom(current.floatNodes, state.remaining)) {
      if (left() === 0) break;
      tried.push(await tryMove(move, 'candidate'));
    }
    const accepted = tried.filter((i) => improves(steps[i]!.result, current.result));
    const best = accepted.reduce((b, i) => (steps[i]!.result.progress > steps[b]!.result.progress ? i : b), state.current);
    const dropped = new Set(tried.filter((i) => !accepted.includes(i) && steps[i]!.floatNodes.length === current.floatNodes.length + 1)
      .map((i) => steps[i]!.floatNodes.at(-1)!));
    if (best !== state.current) {
      Object.assign(steps[best]!, { phase: 'grow', taken: true });
      state.current = best;
    }
    const taken = new Set(steps[state.current]!.floatNodes);
    state.remaining = state.remaining.filter((n) => !taken.has(n) && !dropped.has(n));
  }
  if (steps[state.current]!.result.meets) await prune(steps, state, input.ranking, left, tryMove);
  return steps;
}

/** The current set plus each top remaining node alone, and plus a bulk of the next nodes. */
function movesFrom(floatNodes: readonly string[], remaining: readonly string[]): string[][] {
  const singles = remaining.slice(0, SINGLE_MOVES).map((n) => [...floatNodes, n]);
  const bulk = remaining.slice(0, Math.max(SINGLE_MOVES + 1, floatNodes.length));
  return bulk.length > SINGLE_MOVES ? [...singles, [...floatNodes, ...bulk]] : singles;
}

async function prune(steps: SearchStep[], state: { current: number }, ranking: readonly string[], left: () => number,
  tryMove: (floatNodes: string[], phase: SearchPhase) => Promise<number>): Promise<void> {
  const rank = new Map(ranking.map((n, i) => [n, i]));
  const order = [...steps[state.current]!.floatNodes].sort((a, b) => rank.get(b)! - rank.get(a)!);
  for (const node of order) {
    if (left() === 0) return;
    const i = await tryMove(steps[state.current]!.floatNodes.filter((n) => n !== node), 'prune');
    if (steps[i]!.result.meets) {
      steps[i]!.taken = true;
      state.current = i;
    }
  }
}
