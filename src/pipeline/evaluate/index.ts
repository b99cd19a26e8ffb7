import { isLowCoverage } from '../../onnx/qdq/index.js';
import { resolve } from 'node:path';
import { describePreprocessing, type Geometry } from '../../../datasets/images/index.js';
import { Int8calError } from '../../core/errors.js';
import type { Feeds, HostTensor } from '../../engines/engine.js';
import type { Engine } from '../../engines/engine.js';
import { createEngine } from '../../engines/registry.js';
import { compareSpeed, FeatureNetwork, interleavedTiming, isImageLike, isIntegerData, latencyStats, top1Accuracy, type Detection, type DetectorName, type GroundTruthBox } from '../../metrics/index.js';
import { parseGates, variantVerdict } from '../gates.js';
import { TensorRtEngine } from '../../engines/tensorrt.js';
import { loadTensorRt, requireGpu } from '../../core/tensorrt.js';
import type { EngineKind } from '../../engines/registry.js';
import { defaultOf, unitInterval } from '../../options.js';
import type { ProgressCallback, WarningCallback } from '../../core/progress.js';
import { checkRunManifest } from '../../run/check.js';
import type { RunManifest } from '../../run/schema.js';
import { readRunJson, removeRunFiles, writeRunJson } from '../../run/files.js';
import { runPath, type RunFile } from '../../run/layout.js';
import { finishStage, requireTrusted, sha256File, startStage, TrustCheck } from '../../run/manifest.js';
import { access } from 'node:fs/promises';
import { lockRun } from '../../run/lock.js';
import { RESULTS_SCHEMA, RESULTS_VERSION, type Gate, type Results, type Task, type VariantResult } from '../../../reports/results-schema.js';
import { calibrationSummary, tuneSummary } from './calibration.js';
import { runChoices, type RunChoices } from './choice.js';
import { evaluationData } from './data.js';
import { environment } from './environment.js';
import { classFolderLabels } from './class-folders.js';
import { readGroundTruth } from './ground-truth.js';
import { referenceEmbeddings, VariantScorer, type ScoringContext } from './scoring.js';
import { detectionChoiceOf, detectionsOf, resolveRunTask } from './task.js';
import { GPU_REFERENCE, GPU_VARIANTS, readCoverage, readEngineLayers, selectVariants, VARIANTS, type VariantSpec } from './variants.js';
import { worstImagesOf } from './worst-images.js';
import { ReferenceCheck } from './reference-check.js';
import { capThreads } from '../../engines/threads.js';
import { loadModel } from '../../onnx/model-file.js';
import { graphInputs } from '../../onnx/graph.js';
import { checkImageMemory } from '../memory-estimate.js';

export interface EvaluateOptions {
  run: string;
  /** Evaluation images (not the calibration ones), or a .npy/.npz of input tensors. */
  data: string;
  variants?: string[];
  maxImages?: number;
  batchSize?: number;
  iterations?: number;
  task?: Task | 'auto';
  /** Detector head decoder (`auto`: guessed from the output shapes). */
  detector?: DetectorName | 'auto';
  /** Class columns of a YOLO head (default: all). */
  classes?: number;
  boxes?: string;
  scores?: string;
  boxFormat?: 'xyxy' | 'cxcywh';
  scoreThreshold?: number;
  nmsIou?: number;
  groundTruth?: string;
  /** Classification: labels from the evaluation folder's class subfolders. */
  classFolders?: boolean;
  mapThreshold?: number;
  pdModel?: string;
  pdTensor?: string;
  pdThreshold?: number;
  /** e.g. "psnr<30,pd>3": checked into each variant's verdict. */
  failOn?: string;
  threads?: number;
  skipBadImages?: boolean;
  /** tensorrt: also the TensorRT engines (trt-fp32, trt-fp16, trt-int8, trt-int8-qdq) on the GPU. */
  engine?: EngineKind;
  /** Time TensorRT engines by replaying a captured CUDA graph. */
  cudaGraph?: boolean;
  onProgress?: ProgressCallback;
  onWarning?: WarningCallback;
  signal?: AbortSignal;
}

const WARMUP = 3;

/**
 * One batch through the fp32 reference must fit the machine's available memory (evaluate has no
 * activation budget of its own). Returns whether the variants' sessions may keep ONNX Runtime's
 * arena: each keeps its peak, so together they must stay within half the default activation budget
 * (1024×1024 segmentation, 5 sessions of ~270 MiB: 2.0 GiB RSS with arenas, 0.6 GiB without).
 */
async function checkEvaluationMemory(runDir: string, run: RunManifest, batchSize: number | undefined, sessions: number): Promise<boolean> {
  if (!run.preprocessing) return true;
  const model = await loadModel(runPath(runDir, 'fp32'));
  const input = graphInputs(model.graph!).find((i) => i.name === run.input);
  const batch = run.preprocessing.resize === 'fit' ? 1 : batchSize ?? run.calibration.batchSize;
  const estimate = input && await checkImageMemory(model, input, run.preprocessing, { maxActivationMemory: Infinity, model: runPath(runDir, 'fp32'), batch });
  return !estimate || estimate.peak * sessions <= defaultOf('maxActivationMemory') / 2;
}

/**
 * Runs every variant of a run on the same evaluation images, scores each against fp32
 * (PSNR, cosine, max |Δ|, PD, task metrics), times them interleaved, and writes results.json.
 */
export async function evaluate(options: EvaluateOptions): Promise<Results> {
  checkUnitInterval(options);
  const runDir = resolve(options.run);
  const data = resolve(options.data);
  const gates = parseGates(options.failOn ?? '');
  const threads = capThreads(options.threads ?? defaultOf('threads'), options.onWarning);
  const trust = new TrustCheck(runDir);
  await requireTrusted(runDir, ['run', 'fp32'], trust);
  const run = await readRunJson(runDir, 'run', checkRunManifest, 'calibrate');
  const skippedVariants: { variant: string; reason: string }[] = [];
  const specs = await variantsToEvaluate(runDir, options, skippedVariants);
  const calibrated = await access(runPath(runDir, 'calibration')).then(() => true, () => false);
  const inputs: RunFile[] = ['run', ...specs.map((s) => s.file), ...(calibrated ? ['calibration' as const, ...(await trust.check('histograms') ? [] : ['histograms' as const])] : [])];
  await requireTrusted(runDir, inputs, trust);
  const gpu = specs.some((s) => s.engine === 'tensorrt') ? gpuEnvironment(options.cudaGraph ?? false) : undefined;
  const groundTruthOf = options.groundTruth ? await readGroundTruth(resolve(options.groundTruth)) : undefined;
  const arena = await checkEvaluationMemory(runDir, run, options.batchSize, specs.length);
  const lock = await lockRun(runDir);
  const engines = new Map<string, Engine>();
  let pd: FeatureNetwork | undefined;
  try {
    await startStage(runDir, 'evaluate');
    await removeRunFiles(runDir, ['results', 'reportHtml', 'reportMd']);
    for (const spec of specs) engines.set(spec.name, await openVariant(runDir, spec, threads, arena));
    pd = await loadPdNetwork(options, threads);
    const choices = await runChoices(runDir);
    const scored = await scoreImages({ options, run, data, specs, engines, pd, hasGroundTruth: Boolean(groundTruthOf), choices });
    const { used, samples, ctx, batchSize } = scored;
    const timings = await timeVariants(specs, engines, scored.timingFeeds, options.iterations ?? defaultOf('iterations'), options.cudaGraph ?? false, options.onProgress);
    const groundTruth = groundTruthOf && used.map((f, i) => groundTruthOf.boxesOf(f, scored.sizes[i]!));
    const folders = options.classFolders ? classFolderLabels(data, used) : undefined;
    if (folders && ctx.task !== 'classification') throw new Int8calError('CLASS_FOLDERS', `--class-folders needs a classifier (the task is ${ctx.task})`, { hint: 'pass --task classification for a model with one [N, K] output' });
    const variants = await variantResults({
      runDir, run, specs, engines, scorers: scored.scorers, timings, batchSize, gates, used, samples,
      groundTruth: groundTruth as GroundTruthBox[][] | undefined, folderLabels: folders?.labels, detection: ctx.detection !== undefined,
    });
    const results: Results = {
      schema: RESULTS_SCHEMA, version: RESULTS_VERSION, createdAt: new Date().toISOString(), run: runDir,
      model: run.model, input: run.input, preprocessing: run.preprocessing ? describePreprocessing(run.preprocessing) : `tensors given directly (${(run.inputs ?? [run.input]).join(', ')})`,
      evaluation: await evaluationRecord({ options, data, scored, groundTruthOf, folders, pd, gates, skippedVariants, choices }),
      environment: { ...environment(threads), ...(gpu ? { gpu } : {}) },
      reference: 'fp32',
      variants,
      ...(await calibrationSummary(runDir)),
      ...(await tuneSummary(runDir)),
    };
    await writeRunJson(runDir, 'results', results);
    await finishStage(runDir, 'evaluate', ['results'], inputs);
    return results;
  } finally {
    for (const engine of engines.values()) await engine.dispose();
    await pd?.dispose();
    await lock.release();
  }
}

/** results.json's `evaluation`: what was evaluated, how, and which images chose rather than judged. */
async function evaluationRecord(r: {
  options: EvaluateOptions; data: string; scored: Awaited<ReturnType<typeof scoreImages>>; groundTruthOf: Awaited<ReturnType<typeof readGroundTruth>> | undefined;
  folders: ReturnType<typeof classFolderLabels> | undefined; pd: FeatureNetwork | undefined; gates: Gate[]; skippedVariants: { variant: string; reason: string }[];
  choices: Awaited<ReturnType<typeof runChoices>>;
}): Promise<Results['evaluation']> {
  const { options, data, groundTruthOf, folders, pd, gates, skippedVariants, choices } = r;
  const { used, samples, ctx, batchSize } = r.scored;
  return {
      data, images: used.map(samples.label), ...(samples.images ? { imageSha256: await Promise.all(used.map(async (f) => (await sha256File(f)) ?? '')) } : {}),
      outputs: [...ctx.outputs], task: ctx.task, ...(ctx.detection ? { detector: detectionChoiceOf(ctx.detection) } : {}),
      ...(groundTruthOf ? { groundTruth: { file: resolve(options.groundTruth!), format: groundTruthOf.format } } : {}),
      ...(folders ? { classFolders: { classes: folders.classes, numbering: folders.numbering } } : {}), batchSize, iterations: options.iterations ?? defaultOf('iterations'), warmup: WARMUP,
      ...(pd ? { pd: { network: pd.id, model: pd.file, tensor: pd.tensor, ...(pd.threshold !== undefined ? { threshold: pd.threshold } : {}), ...(pd.thresholdSource ? { thresholdSource: pd.thresholdSource } : {}) } } : {}),
      gates,
      ...(skippedVariants.length ? { skipped: skippedVariants } : {}),
      ...(choices.by.length ? { choice: { by: choices.by, data: choices.data, images: choices.samples.size, heldOut: samples.heldOut, notHeldOut: samples.notHeldOut } } : {}),
    
  };
}

/** The variants evaluate runs: --variants (or every CPU one), plus with --engine tensorrt the engines the run has. */
async function variantsToEvaluate(runDir: string, options: EvaluateOptions, skippedVariants: { variant: string; reason: string }[]): Promise<VariantSpec[]> {
  const cpu = VARIANTS.filter((v) => !v.engine).map((v) => v.name);
  const requested = options.engine === 'tensorrt' ? [...new Set([...(options.variants ?? cpu), ...GPU_VARIANTS])] : options.variants;
  // --engine tensorrt adds the engines the run has; those named in --variants must exist.
  const addedGpu = options.engine === 'tensorrt' ? GPU_VARIANTS.filter((v) => !options.variants?.includes(v)) : [];
  const specs = await selectVariants(runDir, requested, options.onWarning, skippedVariants, addedGpu);
  if (options.engine === 'tensorrt' && !specs.some((s) => s.engine)) {
    throw new Int8calError('RUN_FILE_MISSING', `${runDir} has no TensorRT engine (engine.*.plan)`, { file: runDir, hint: 'run `int8cal build --engine tensorrt` for this run directory first' });
  }
  return specs;
}

function openVariant(runDir: string, spec: VariantSpec, threads: number, arena: boolean): Promise<Engine> {
  return spec.engine === 'tensorrt'
    ? createEngine('tensorrt', runPath(runDir, spec.file))
    : createEngine('onnxruntime', runPath(runDir, spec.file), { threads, rewrites: spec.rewrites, qdq: spec.qdq, sharedCores: true, memoryArena: arena });
}

interface ScoreImagesArgs {
  options: EvaluateOptions;
  run: RunManifest;
  data: string;
  specs: readonly VariantSpec[];
  engines: ReadonlyMap<string, Engine>;
  pd: FeatureNetwork | undefined;
  hasGroundTruth: boolean;
  choices: RunChoices;
}

/** Streams the evaluation batches through every variant: each image's outputs are scored, then dropped. */
async function scoreImages({ options, run, data, specs, engines, pd, hasGroundTruth, choices }: ScoreImagesArgs) {
  const reference = engines.get('fp32')!;
  const input = reference.inputs.find((i) => i.name === run.input)!;
  const batchDim = input.dims[0];
  const batchSize = run.preprocessing?.resize === 'fit' ? 1 : typeof batchDim === 'number' ? batchDim : options.batchSize ?? run.calibration.batchSize;
  const samples = await evaluationData(data, run, reference.inputs, {
    batchSize, fixedBatch: typeof batchDim === 'number', maxImages: options.maxImages, holdOut: choices.samples, skipBadImages: options.skipBadImages, onWarning: options.onWarning, signal: options.signal,
  });
  if (hasGroundTruth && !samples.images) throw new Int8calError('EVAL_DATA_KIND', '--ground-truth needs evaluation images, not tensors', { file: data, hint: 'give --data an image folder, or drop --ground-truth' });
  if (options.classFolders && !samples.images) throw new Int8calError('EVAL_DATA_KIND', '--class-folders needs evaluation images, not tensors', { file: data, hint: 'give --data a folder of class folders of images' });
  const { task, detection, ambiguous } = await resolveRunTask(resolve(options.run), run, reference, options);
  if (ambiguous) options.onWarning?.(ambiguous);
  const ctx: ScoringContext = { task, detection, outputs: reference.outputs.map((o) => o.name), pdOutputs: [], pd, mapThreshold: options.mapThreshold ?? defaultOf('mapThreshold') };
  const scorers = new Map(specs.map((s) => [s.name, new VariantScorer(ctx, s.name === 'fp32')]));
  const detectionsPerImage = (outputs: Record<string, HostTensor>, geometry: Geometry[], size: { width: number; height: number }): Detection[][] =>
    detection ? geometry.map((g, n) => detectionsOf(outputs, detection, n, g, size)) : [];
  const used: string[] = [];
  /** Decoded size of each used image (YOLO txt labels are normalized to it). */
  const sizes: { width: number; height: number }[] = [];
  const referenceCheck = new ReferenceCheck();
  let timingFeeds: Feeds | undefined;
  for await (const batch of samples.batches()) {
    options.signal?.throwIfAborted();
    const feeds = batch.feeds;
    const size = run.preprocessing && run.preprocessing.resize !== 'fit' ? run.preprocessing : { width: batch.geometry[0]!.resizedWidth, height: batch.geometry[0]!.resizedHeight };
    timingFeeds ??= feeds;
    const ref = await reference.run(feeds);
    referenceCheck.add(ref, batch.samples);
    if (referenceCheck.failed) {
      used.push(...batch.samples);
      continue;
    }
    if (used.length === 0) ctx.pdOutputs = pd ? ctx.outputs.filter((name) => isImageLike(ref[name]!.dims) && !isIntegerData(ref[name]!.data)) : [];
    const embeddings = await referenceEmbeddings(ctx, ref);
    const refDetections = detectionsPerImage(ref, batch.geometry, size);
    for (const spec of specs) {
      const out = spec.name === 'fp32' ? ref : await engines.get(spec.name)!.run(feeds);
      await scorers.get(spec.name)!.add(ref, out, embeddings, refDetections, spec.name === 'fp32' ? refDetections : detectionsPerImage(out, batch.geometry, size));
    }
    used.push(...batch.samples);
    sizes.push(...batch.geometry.map((g) => ({ width: g.srcWidth, height: g.srcHeight })));
    options.onProgress?.({ stage: 'evaluate', done: used.length, total: samples.total, unit: 'images' });
  }
  referenceCheck.check(runPath(resolve(options.run), 'fp32'), samples.label);
  if (!timingFeeds) {
    const held = samples.heldOut.length ? `; ${samples.heldOut.length} were held out because the run chose on them (${choices.by.join(', ')})` : '';
    throw new Int8calError('NO_IMAGES', `No batch of ${batchSize} image(s) could be read from ${data}${held}`, {
      file: data, hint: held ? 'evaluate on other images, or choose on fewer (--tune-images)' : 'add images or lower --batch-size',
    });
  }
  return { used, sizes, samples, ctx, scorers, batchSize, timingFeeds };
}

/** Latency of every variant on the same batch: CPU variants interleaved, GPU ones by CUDA events. */
async function timeVariants(specs: readonly VariantSpec[], engines: ReadonlyMap<string, Engine>, feeds: Feeds, iterations: number, cudaGraph: boolean, onProgress?: ProgressCallback) {
  onProgress?.({ stage: 'latency', done: 0, total: specs.length, unit: 'variants' });
  const timings = await interleavedTiming(specs.filter((s) => !s.engine).map((s) => ({ name: s.name, run: () => engines.get(s.name)!.run(feeds) })), {
    iterations, warmup: WARMUP,
  });
  // GPU variants: CUDA events around each enqueue on the engine's own stream (not wall clock).
  for (const spec of specs.filter((s) => s.engine === 'tensorrt')) {
    const engine = engines.get(spec.name) as TensorRtEngine;
    await engine.run(feeds);
    timings[spec.name] = engine.time({ warmup: WARMUP * 10, iterations, cudaGraph });
  }
  return timings;
}

interface VariantResultsArgs {
  runDir: string;
  run: RunManifest;
  specs: readonly VariantSpec[];
  engines: ReadonlyMap<string, Engine>;
  scorers: ReadonlyMap<string, VariantScorer>;
  timings: Awaited<ReturnType<typeof timeVariants>>;
  batchSize: number;
  gates: ReturnType<typeof parseGates>;
  used: string[];
  samples: Awaited<ReturnType<typeof scoreImages>>['samples'];
  groundTruth: GroundTruthBox[][] | undefined;
  folderLabels: number[] | undefined;
  detection: boolean;
}

/** Each variant's metrics, latency and verdict (GPU variants against trt-fp32, CPU ones against fp32). */
async function variantResults(a: VariantResultsArgs): Promise<VariantResult[]> {
  const referenceLatency = latencyStats(a.timings.fp32!, a.batchSize);
  const gpuReferenceLatency = a.timings[GPU_REFERENCE] ? latencyStats(a.timings[GPU_REFERENCE]!, a.batchSize) : undefined;
  const coverage = await readCoverage(a.runDir);
  const engineLayers = await readEngineLayers(a.runDir);
  const variants: VariantResult[] = [];
  for (const spec of a.specs) {
    const scorer = a.scorers.get(spec.name)!;
    const outputs = scorer.outputMetrics();
    const base = {
      name: spec.name, modelFile: runPath('', spec.file), precision: spec.precision,
      ...(spec.placement ? { placement: spec.placement } : {}),
      ...(spec.engine ? { device: 'gpu' as const } : {}),
      latency: { ...latencyStats(a.timings[spec.name]!, a.batchSize), ...(spec.emulated ? { emulated: true as const } : {}) },
      outputs,
      ...(a.detection ? { detection: scorer.detectionMetrics(a.groundTruth) } : {}),
      ...(a.folderLabels ? { accuracy: top1Accuracy(scorer.predictions, a.folderLabels) } : {}),
      worstImages: spec.name === 'fp32' ? [] : await worstImagesOf(outputs, a.used, a.samples, a.run, a.engines.get('fp32')!, a.engines.get(spec.name)!),
    };
    const against = spec.engine && gpuReferenceLatency ? gpuReferenceLatency : referenceLatency;
    const { unmatched: _, ...verdict } = variantVerdict(base, a.gates, against.p50);
    const covered = coverage.get(spec.name);
    const measured = { ...verdict, speed: compareSpeed(against, base.latency) };
    const shown = spec.name === 'fp32' ? { verdict: 'none' as const, checks: [], speedup: 1 } : covered && isLowCoverage(covered) ? { ...measured, verdict: 'not-quantized' as const } : measured;
    const layers = spec.engine ? engineLayers.get(spec.name) : undefined;
    variants.push({ ...base, verdict: shown, ...(covered ? { coverage: covered } : {}), ...(layers ? { layers } : {}) });
  }
  return variants;
}

/** GPU, driver and TensorRT versions of the GPU variants (throws the no-GPU error first). */
function gpuEnvironment(cudaGraph: boolean) {
  const { libraries } = loadTensorRt();
  const gpu = requireGpu();
  return { name: gpu.name, computeCapability: gpu.computeCapability, cudaDriver: gpu.cudaDriver, cudaRuntime: libraries.cudaRuntime, tensorrt: libraries.version, cudaGraph };
}

/** The PD feature network: the user's, or the default if the sample models are installed. */
async function loadPdNetwork(o: EvaluateOptions, threads: number): Promise<FeatureNetwork | undefined> {
  try {
    return await FeatureNetwork.create({ model: o.pdModel, tensor: o.pdTensor, threshold: o.pdThreshold, threads });
  } catch (error) {
    if (o.pdModel || !(error instanceof Int8calError) || error.code !== 'MODEL_LOAD') throw error;
    o.onWarning?.(`No PD feature network (${error.message}); pass --pd-model to score perceptual distance`);
    return undefined;
  }
}

export type { VariantSpec };

/** Scores, IoUs and probabilities are in [0, 1], checked like the flags before any work. */
function checkUnitInterval(o: EvaluateOptions): void {
  const values = { '--score-threshold': o.scoreThreshold, '--nms-iou': o.nmsIou, '--map-threshold': o.mapThreshold };
  for (const [flag, value] of Object.entries(values)) if (value !== undefined) unitInterval(String(value), flag);
}
