/**
 * Timing ONNX Runtime sessions for bench/build-latency.ts: session options, interleaved runs,
 * quantiles, and ORT's profiler summed per op type.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
/** ONNX Runtime's own level names: these benches time raw sessions. */
type OptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface TimedVariant { name: string; path: string; optimization: OptimizationLevel }

/** Kernel time of one op type per run. */
export interface OpTime { op: string; ms: number; share: number }

/** Warm-up, then `iterations` rounds running every variant once, the order rotated each round. */
export async function interleave(variants: readonly TimedVariant[], sessions: ReadonlyMap<string, ort.InferenceSession>, feed: Record<string, ort.Tensor>,
  iterations: number, warmup: number): Promise<Map<string, number[]>> {
  const times = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (const v of variants) for (let i = 0; i < warmup; i++) await sessions.get(v.name)!.run(feed);
  for (let i = 0; i < iterations; i++) {
    // Rotate the order each round so no variant always runs right after another.
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(i + k) % variants.length]!;
      const start = process.hrtime.bigint();
      await sessions.get(v.name)!.run(feed);
      times.get(v.name)!.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  return times;
}

export function sessionOptions(optimization: OptimizationLevel, threads: number, profilePrefix?: string): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'], graphOptimizationLevel: optimization, intraOpNumThreads: threads, interOpNumThreads: 1,
    logSeverityLevel: 3, ...(profilePrefix ? { enableProfiling: true, profileFilePrefix: profilePrefix } : {}),
  };
}

/** ORT's profiler: mean kernel time per op type over `runs` runs. */
export async function profile(path: string, optimization: OptimizationLevel, threads: number, feed: Record<string, ort.Tensor>, runs: number): Promise<OpTime[]> {
  const dir = await mkdtemp(join(tmpdir(), 'int8cal-profile-'));
  try {
    const session = await ort.InferenceSession.create(path, sessionOptions(optimization, threads, join(dir, 'profile')));
    for (let i = 0; i < runs; i++) await session.run(feed);
    session.endProfiling();
    await session.release();
    const file = (await readdir(dir)).find((f) => f.endsWith('.json'));
    if (!file) return [];
    const events = JSON.parse(await readFile(join(dir, file), 'utf8')) as { cat?: string; name: string; dur: number; args?: { op_name?: string } }[];
    const byOp = new Map<string, number>();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || !e.args?.op_name) continue;
      byOp.set(e.args.op_name, (byOp.get(e.args.op_name) ?? 0) + e.dur / runs);
    }
    const total = [...byOp.values()].reduce((a, b) => a + b, 0);
    return [...byOp].sort((a, b) => b[1] - a[1]).map(([op, us]) => ({ op, ms: us / 1000, share: total ? us / total : 0 }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
