/**
 * `npm run bench`: int8cal's calibration figures, measured in one run and printed as ratios,
 * beside ONNX Runtime's Python quantize_static on the same models, tensors and threads.
 * Flags: --quick, --models det,fr_detect,fr_expression, --images N, --threads N,
 * --det-size WxH, --rss-model ID, --rss-images A,B, --batch-size N, --max-activation-memory SIZE,
 * --no-peer, --no-profile, --no-build-latency, --peer-timeout S, --max-rss GiB. See bench/README.md.
 */
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { cpus, freemem, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { byteSize, defaultOf } from '../src/options.js';
import { OnnxRuntimeEngine } from '../src/engines/onnxruntime.js';
import { benchEntropy, type EntropyBenchResult } from './entropy.js';
import { latencyTable, latencyTitle, measureBuildLatency, type ModelLatency } from './build-latency.js';
import {
  defaultThreads, gatherPhotos, modelCases, modelPath, resolveCase, ROOT, runChild,
  type BaselineReport, type CalibrateReport, type Measured, type ModelCase, type ProfileReport,
} from './calibrate.js';
import { benchShards, benchStages, STAGES, type StagesResult } from './stages.js';
import { dumpTensors, ensurePeer, runOrtPeer, type PeerReport, type PeerSetup } from './peer.js';

interface Args {
  quick: boolean; models: string[]; images: number; threads: number; detSize: string; batchSize: number;
  rssModel: string; rssImages: [number, number]; maxActivationMemory?: number; peer: boolean; profile: boolean;
  peerTimeoutMs: number; maxRss: number; buildLatency: boolean;
  stages: boolean; stageImages: [number, number]; shardModel: string; shardImages: number; shards: number[];
}

function parseArgs(argv: string[]): Args {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const [k, v] = a.includes('=') ? a.slice(2).split('=', 2) as [string, string] : [a.slice(2), argv[i + 1]?.startsWith('--') === false ? argv[++i]! : 'true'];
    flags.set(k, v);
  }
  const known = ['quick', 'models', 'images', 'threads', 'det-size', 'batch-size', 'rss-model', 'rss-images', 'max-activation-memory', 'peer', 'no-peer', 'no-profile', 'no-build-latency', 'peer-timeout', 'max-rss',
    'no-stages', 'stage-images', 'shard-model', 'shard-images', 'shards'];
  const unknown = [...flags.keys()].filter((k) => !known.includes(k));
  if (unknown.length) throw new Error(`unknown flag(s) --${unknown.join(', --')}; flags: --${known.join(', --')} (see bench/README.md)`);
  const ids = modelCases('1x1').map((c) => c.id);
  for (const id of [...(flags.get('models')?.split(',') ?? []), flags.get('rss-model') ?? ids[1]!, flags.get('shard-model') ?? ids[1]!]) {
    if (!ids.includes(id)) throw new Error(`unknown model ${id}; models: ${ids.join(', ')}`);
  }
  const quick = flags.get('quick') === 'true';
  const num = (k: string, d: number): number => (flags.has(k) ? Number(flags.get(k)) : d);
  const available = Math.min(totalmem(), availableMemory()) / 1024 ** 3;
  const rssImages = (flags.get('rss-images') ?? (quick ? '10,40' : '50,200')).split(',').map(Number) as [number, number];
  return {
    quick,
    models: (flags.get('models') ?? 'det,fr_detect,fr_expression').split(','),
    images: num('images', quick ? 10 : 40),
    threads: num('threads', defaultThreads()),
    detSize: flags.get('det-size') ?? (quick ? '320x320' : '640x640'),
    batchSize: num('batch-size', defaultOf('batchSize')),
    rssModel: flags.get('rss-model') ?? 'fr_detect',
    rssImages,
    maxActivationMemory: flags.has('max-activation-memory') ? byteSize(flags.get('max-activation-memory')!, 'max-activation-memory') : undefined,
    peer: flags.get('peer') !== 'false' && !flags.has('no-peer'),
    profile: !flags.has('no-profile'),
    buildLatency: !flags.has('no-build-latency'),
    peerTimeoutMs: num('peer-timeout', quick ? 300 : 900) * 1000,
    maxRss: num('max-rss', Math.max(2, Math.min(20, available - 2))) * 1024 ** 3,
    stages: !flags.has('no-stages'),
    stageImages: (flags.get('stage-images') ?? (quick ? '2,2' : '8,8')).split(',').map(Number) as [number, number],
    shardModel: flags.get('shard-model') ?? 'fr_detect',
    shardImages: num('shard-images', 40),
    shards: (flags.get('shards') ?? '1,2,4').split(',').map(Number),
  };
}

/** MemAvailable from /proc/meminfo (free memory elsewhere). */
function availableMemory(): number {
  try {
    return Number(/MemAvailable:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;
  } catch {
    return freemem();
  }
}

const log = (line: string): void => { process.stderr.write(`${line}\n`); };
const s = (ms?: number): string => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);
const gb = (bytes?: number): string => (bytes === undefined ? '—' : bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(2)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`);
const x = (a?: number, b?: number): string => (a === undefined || b === undefined || !b ? '—' : `${(a / b).toFixed(2)}×`);
const pct = (part: number, whole: number): string => `${Math.round((100 * part) / whole)} %`;

function table(title: string, header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [`\n${title}`, line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

interface ModelResult {
  id: string; label: string; images: number; batchSize: number;
  baseline: Measured<BaselineReport>; calibrate: Measured<CalibrateReport>; profile?: Measured<ProfileReport>;
  peer: Partial<Record<'Entropy' | 'MinMax', Measured<PeerReport>>>;
}

/** calibrate()'s loop per image after the probe ÷ plain inference per image. */
function loopRatio(r: ModelResult): string {
  const c = r.calibrate.report;
  const b = r.baseline.report;
  if (!c?.timing || !b || c.images <= c.timing.probedImages || !b.images) return '—';
  const t = c.timing;
  return x((t.waitMs + t.runMs + t.histogramMs) / (c.images - t.probedImages), b.inferMs / b.images);
}

const status = (m?: Measured<unknown>): string => {
  if (!m) return 'not run';
  if (m.status !== 'ok') return m.status === 'memory-limit' ? `killed at the ${gb(m.peakRss)} memory limit after ${s(m.processMs)}` : `${m.status}${m.error ? `: ${m.error}` : ''}`;
  const r = m.report as { status?: string; error?: string } | undefined;
  return r?.status && r.status !== 'ok' ? `${r.status}: ${r.error ?? ''}` : 'ok';
};

async function benchModel(c: ModelCase, args: Args, work: string, peer: PeerSetup | undefined): Promise<ModelResult> {
  const data = await gatherPhotos(c, args.images, join(work, `${c.id}-photos`));
  const limits = { maxRssBytes: args.maxRss, onLine: (l: string) => { if (/error/i.test(l)) log(`  ${c.id}: ${l}`); } };
  const job = { caseId: c.id, detSize: args.detSize, data, threads: args.threads, batchSize: args.batchSize, maxActivationMemory: args.maxActivationMemory };
  const { input, spec, batchSize, fixedBatch } = await resolveCase(c, args.batchSize);
  log(`${c.label}: plain fp32 inference of the original model over ${args.images} images…`);
  const baseline = await runChild<BaselineReport>({ ...job, mode: 'baseline' }, limits);
  log(`${c.label}: int8cal calibrate…`);
  const calibrate = await runChild<CalibrateReport>({ ...job, mode: 'calibrate', out: join(work, `${c.id}-run`) }, limits);
  let profile: Measured<ProfileReport> | undefined;
  if (args.profile) {
    log(`${c.label}: profiling the calibration loop…`);
    profile = await runChild<ProfileReport>({ ...job, mode: 'profile' }, limits);
  }
  const result: ModelResult = { id: c.id, label: c.label, images: args.images, batchSize, baseline, calibrate, profile, peer: {} };
  if (peer?.ok) {
    const npy = join(work, `${c.id}.npy`);
    const files = (await readdir(data)).sort().map((n) => join(data, n));
    // Batch 1 for ORT: its calibrators stack per-batch outputs and fail on a short last batch.
    await dumpTensors(files, spec, batchSize, fixedBatch, npy);
    for (const method of ['Entropy', 'MinMax'] as const) {
      log(`${c.label}: ONNX Runtime quantize_static (${method})…`);
      result.peer[method] = await runOrtPeer({ python: peer.python, model: modelPath(c), npy, input, method, threads: args.threads, batchSize: 1, out: join(work, `${c.id}-ort-${method}.onnx`) },
        { timeoutMs: args.peerTimeoutMs, maxRssBytes: args.maxRss });
      log(`  → ${status(result.peer[method])}, ${s(result.peer[method]!.report?.wallMs ?? result.peer[method]!.processMs)}, ${gb(result.peer[method]!.peakRss)}`);
    }
    await rm(npy, { force: true });
  }
  return result;
}

/**
 * bench/build-latency.ts: latency of the built variants ÷ fp32 and their PSNR, beside ORT's
 * quantize_static models (quick: two small models, fewer runs and evaluation photos).
 */
function buildLatency(args: Args, peer: PeerSetup | undefined): Promise<ModelLatency[]> {
  return measureBuildLatency({
    threads: args.threads, images: args.quick ? 4 : 8, iterations: args.quick ? 10 : 30, evalImages: args.quick ? 4 : 6,
    peer: peer ?? false, peerLimits: { timeoutMs: args.peerTimeoutMs, maxRssBytes: args.maxRss },
    ...(args.quick ? { models: ['fr_detect', 'fr_expression'] } : {}), onProgress: (line) => log(`build latency: ${line}`),
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const work = join(tmpdir(), `int8cal-bench-${process.pid}`);
  await mkdir(work, { recursive: true });
  const cases = modelCases(args.detSize).filter((c) => args.models.includes(c.id));
  log(`int8cal bench${args.quick ? ' --quick' : ''}: ${cases.map((c) => c.label).join(', ')}; ${args.images} images, ${args.threads} threads, children killed above ${gb(args.maxRss)}`);

  // Rounds, so a neighbour's burst of CPU on a shared machine shows as spread, not as the figure.
  const rounds = Array.from({ length: 5 }, () => benchEntropy(200));
  const sorted = rounds.map((r) => r.msPerSearch).sort((a, b) => a - b);
  const entropy = { ...rounds[0]!, runs: 200 * rounds.length, msPerSearch: sorted[2]!, bestMs: sorted[0]!, worstMs: sorted[4]! };
  let peer: PeerSetup | undefined;
  if (args.peer) {
    peer = await ensurePeer(log);
    if (!peer.ok) log(`\n*** ONNX Runtime peer unavailable: ${peer.reason}\n*** printing int8cal's figures alone.\n`);
  }
  const results: ModelResult[] = [];
  try {
    for (const c of cases) results.push(await benchModel(c, args, work, peer));
    const rssCase = modelCases(args.detSize).find((c) => c.id === args.rssModel)!;
    const rss: { images: number; calibrate: Measured<CalibrateReport> }[] = [];
    for (const n of args.rssImages) {
      log(`${rssCase.label}: peak RSS calibrating ${n} images…`);
      const data = await gatherPhotos(rssCase, n, join(work, `rss-${n}`));
      rss.push({ images: n, calibrate: await runChild<CalibrateReport>({ mode: 'calibrate', caseId: rssCase.id, detSize: args.detSize, data, threads: args.threads, batchSize: args.batchSize, maxActivationMemory: args.maxActivationMemory, out: join(work, `rss-${n}-run`) }, { maxRssBytes: args.maxRss }) });
    }
    let stages: StagesResult | undefined;
    if (args.stages) {
      const limits = { maxRssBytes: args.maxRss };
      stages = await benchStages({ work, threads: args.threads, images: args.stageImages[0], evalImages: args.stageImages[1], maxActivationMemory: args.maxActivationMemory, limits, log });
      const shardCase = modelCases(args.detSize).find((c) => c.id === args.shardModel)!;
      stages.shards = await benchShards({ work, threads: args.threads, model: modelPath(shardCase), modelCase: shardCase, images: args.shardImages, counts: args.shards, limits, log });
    }
    let latency: ModelLatency[] | undefined;
    if (args.buildLatency) {
      try { latency = await buildLatency(args, peer); } catch (error) { log(`build-latency bench failed: ${(error as Error).message}`); }
    }
    await report(args, entropy, peer, results, rssCase, rss, latency, stages);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function report(args: Args, entropy: EntropyBenchResult & { bestMs: number; worstMs: number }, peer: PeerSetup | undefined, results: ModelResult[], rssCase: ModelCase,
  rss: { images: number; calibrate: Measured<CalibrateReport> }[], latency: ModelLatency[] | undefined, stages?: StagesResult): Promise<void> {
  const out: string[] = [];
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  out.push(`int8cal bench${args.quick ? ' --quick' : ''} — ${cpu}, ${cpus().length} cores, ${gb(totalmem())}; ${args.threads} intra-op threads everywhere; onnxruntime-node ${OnnxRuntimeEngine.version}` +
    (peer?.ok ? `, Python onnxruntime ${peer.versions.onnxruntime}` : ''));
  out.push(table(`Calibration ÷ plain fp32 inference of the original model (same images, reader, batch size, threads; ORT level "all"; goal ≤ 1.5×)`,
    ['model', 'images', 'batch', 'plain fp32', 'int8cal calibrate', 'ratio', 'loop ratio', 'peak RSS plain', 'peak RSS calibrate'],
    results.map((r) => {
      const { passes = 0, chunk = 0 } = r.calibrate.report ?? {};
      const split = [passes > 1 ? `${passes} passes` : '', chunk && chunk < r.batchSize ? `${chunk} images per run` : ''].filter(Boolean).join(', ');
      const ratio = r.calibrate.status === 'ok' ? `${x(r.calibrate.report?.wallMs, r.baseline.report?.totalMs)}${split ? ` (${split})` : ''}` : status(r.calibrate);
      return [r.label, String(r.images), String(r.batchSize), s(r.baseline.report?.totalMs), s(r.calibrate.report?.wallMs), ratio, loopRatio(r), gb(r.baseline.peakRss), gb(r.calibrate.peakRss)];
    })));
  out.push('loop ratio: per image, calibrate()\'s loop after the probe (decode wait + runs returning every activation + histogram wait, collect.ts\'s timings) ÷ the plain model\'s inference');
  const profiled = results.filter((r) => r.profile);
  if (profiled.length) {
    out.push(table('Where calibration time goes (calibrate() with collect.ts\'s timings; the plain model runs on the same images after each run, so nothing overlaps; % of the loop)',
      ['model', 'runs × images', 'until 1st batch', 'sessions', 'probe', 'decode wait', 'ORT run, every activation out', 'native histograms', 'plain run (same images)', 'aliased tensors', 'after last batch'],
      profiled.map((r) => {
        const p = r.profile!.report;
        if (!p) return [r.label, status(r.profile), '', '', '', '', '', '', '', '', ''];
        const t = p.timing;
        const loop = t.waitMs + t.runMs + t.histogramMs;
        const histBytes = t.activationBytes;
        return [r.label, `${t.runs} × ${p.chunk}`, s(p.untilFirstBatchMs), s(t.sessionMs), s(t.probeMs), `${s(t.waitMs)} (${pct(t.waitMs, loop)})`,
          `${s(t.runMs)} (${pct(t.runMs, loop)}) = ${x(t.runMs, p.plainRunMs)} plain`,
          `${s(t.histogramMs)} (${pct(t.histogramMs, loop)}), ${(histBytes / 1024 ** 2 / (t.histogramMs / 1000)).toFixed(0)} MiB/s`, s(p.plainRunMs), `${t.aliased} of ${p.tensors}`, s(p.afterLastBatchMs)];
      })));
  }
  if (peer && !peer.ok) out.push(`\nONNX Runtime's Python peer: NOT RUN — ${peer.reason}`);
  else if (peer?.ok) {
    out.push(table(`int8cal ÷ ONNX Runtime quantize_static (QDQ, symmetric int8, per-channel; same tensors and threads, ORT fed batch 1; int8cal runs once, one histogram pass serves every calibrator)`,
      ['model', 'ORT method', 'ORT wall', 'ORT peak RSS', 'ORT outcome', 'int8cal ÷ ORT time', 'int8cal ÷ ORT RSS'],
      results.flatMap((r) => (['Entropy', 'MinMax'] as const).map((m) => {
        const p = r.peer[m];
        const wall = p?.report?.wallMs;
        // ORT calibrated to the end (its model may still be invalid: that is a finding, not a failure to time).
        const finished = p?.status === 'ok' && (p.report?.status === 'ok' || p.report?.status === 'invalid-model');
        const killed = p?.status === 'timeout' || p?.status === 'memory-limit';
        return [r.label, m, finished ? s(wall) : killed ? `> ${s(p?.processMs)}` : '—', finished ? gb(p?.peakRss) : killed ? `> ${gb(p?.peakRss)}` : '—', status(p),
          finished ? x(r.calibrate.report?.wallMs, wall) : killed ? `< ${x(r.calibrate.report?.wallMs, p?.processMs)}` : '—',
          finished ? x(r.calibrate.peakRss, p?.peakRss) : killed ? `< ${x(r.calibrate.peakRss, p?.peakRss)}` : '—'];
      }))));
  }
  const [small, large] = rss;
  const flat = small?.calibrate.peakRss && large?.calibrate.peakRss ? large.calibrate.peakRss / small.calibrate.peakRss - 1 : undefined;
  out.push(table('Other goals', ['figure', 'measured', 'goal'], [
    ['entropy search, one 2048-bin histogram', `${entropy.msPerSearch.toFixed(3)} ms (median of 5 rounds of 200; ${entropy.bestMs.toFixed(3)}–${entropy.worstMs.toFixed(3)})`, '< 1 ms'],
    [`peak RSS calibrating ${small?.images} vs ${large?.images} images (${rssCase.label})`,
      `${gb(small?.calibrate.peakRss)} vs ${gb(large?.calibrate.peakRss)}${flat === undefined ? ` (${status(small?.calibrate)} / ${status(large?.calibrate)})` : ` (${flat >= 0 ? '+' : ''}${(100 * flat).toFixed(1)} %)`}`, 'flat within 10 %'],
  ]));
  if (stages) out.push(...stagesTables(stages, args));
  if (latency?.length) {
    const { header, rows } = latencyTable(latency);
    out.push(table(`${latencyTitle(latency)} (bench/build-latency.ts)`, header, rows));
  }
  console.log(out.join('\n'));
  const json = { schema: 'int8cal/bench', version: 1, date: new Date().toISOString(), args: { ...args }, cpu, cores: cpus().length, memory: totalmem(), entropy, peer, models: results, rss: { model: rssCase.id, runs: rss }, buildLatency: latency, stages };
  return saveJson(json);
}

function stagesTables(r: StagesResult, args: Args): string[] {
  const budget = args.maxActivationMemory ?? defaultOf('maxActivationMemory');
  const perStage = table(`Peak RSS per stage, each in its own process (${r.model}; ${r.images} calibration, ${r.evalImages} evaluation images; --max-activation-memory ${gb(budget)}; goal ≤ 2 GiB each)`,
    ['stage', 'wall', 'peak RSS', '≤ 2 GiB', 'budget + models held + 1 GiB', 'within it', 'outcome'],
    STAGES.map((stage) => {
      const m = r.stages[stage];
      const limit = budget + (r.modelBytes[stage] ?? 0) + 1024 ** 3;
      const yes = (ok: boolean) => (m?.peakRss === undefined ? '—' : ok ? 'yes' : 'no');
      return [stage, s(m?.report?.wallMs ?? m?.processMs), gb(m?.peakRss), yes((m?.peakRss ?? 0) <= 2 * 1024 ** 3), gb(limit), yes((m?.peakRss ?? 0) <= limit), status(m)];
    }));
  const one = r.shards.find((x) => x.count === 1);
  const shards = table(`Calibrate wall time in shards run one after another (${args.shardModel}, ${args.shardImages} images; each shard its own process; then merge-histograms)`,
    ['shards', 'calibrate, all shards', 'merge', 'total', '÷ 1 shard', 'outcome'],
    r.shards.map((h) => [String(h.count), s(h.calibrateMs), s(h.mergeMs), s(h.calibrateMs + h.mergeMs), x(h.calibrateMs + h.mergeMs, one ? one.calibrateMs + one.mergeMs : undefined), h.status]));
  return [perStage, shards];
}

async function saveJson(json: unknown): Promise<void> {
  const dir = join(ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.latest.json.${process.pid}.tmp`);
  await writeFile(tmp, `${JSON.stringify(json, null, 2)}\n`);
  await rename(tmp, join(dir, 'latest.json'));
  log(`wrote ${join('bench', 'results', 'latest.json')}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    log((error as Error)?.stack ?? String(error));
    process.exitCode = 1;
  });
}
