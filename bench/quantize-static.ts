/**
 * The peer's models for bench/build-latency.ts: ONNX Runtime's Python `quantize_static`
 * (bench/ort-peer.py) run on the very calibration photos a run's `calibrate()` used, in the same
 * order and with the same preprocessing (int8cal's own reader writes them to a .npy), on the
 * model the user gave (not int8cal's prepared one: upgrading the opset is part of what is being
 * compared). MinMax calibration: ORT's Entropy on PaddleOCR det at 640x640 needs > 14 GiB.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runPath } from '../src/run/layout.js';
import type { RunManifest } from '../src/run/schema.js';
import type { SpawnLimits } from './calibrate.js';
import { dumpTensors, runOrtPeer, type PeerConfig, type PeerReport, type PeerSetup } from './peer.js';

export interface PeerVariantSpec {
  name: string;
  config: PeerConfig;
  label: string;
  /** What the configuration is, for the label's parenthesis. */
  about: string;
}

/** The peer configurations timed beside int8cal's variants (ort-peer.py --config). */
export const PEER_VARIANTS: readonly PeerVariantSpec[] = [
  { name: 'ort-s8s8', config: 'symmetric', label: 'ORT quantize_static s8s8', about: 'symmetric, as int8cal' },
  { name: 'ort-u8s8', config: 'cpu', label: 'ORT quantize_static u8s8', about: 'its CPU advice' },
];

export const PEER_METHOD = 'MinMax';

export interface PeerModel {
  name: string;
  label: string;
  /** The quantized model, when quantize_static wrote one (it may still fail to load). */
  path?: string;
  /** Why there is no model: quantize_static's error, a timeout, the peer not installed. */
  error?: string;
  /** ort-peer.py's report: configuration, time, peak RSS, its own load check. */
  report?: PeerReport;
}

export interface QuantizeStaticJob {
  /** The run whose calibration photos and preprocessing the peer repeats. */
  run: string;
  /** The model the run was calibrated from (the user's original). */
  model: string;
  setup: PeerSetup;
  threads: number;
  /** Where the .npy and the peer's models go. */
  scratch: string;
  limits: SpawnLimits;
  variants?: readonly PeerVariantSpec[];
}

/** Runs quantize_static once per configuration; never throws for the peer's own failures. */
export async function quantizeStatic(job: QuantizeStaticJob): Promise<PeerModel[]> {
  const variants = job.variants ?? PEER_VARIANTS;
  const setup = job.setup;
  if (!setup.ok) return variants.map((v) => ({ name: v.name, label: `${v.label} (${v.about})`, error: `not run: ${setup.reason}` }));
  const manifest = JSON.parse(await readFile(runPath(job.run, 'run'), 'utf8')) as RunManifest;
  const files = manifest.calibration.images.map((f) => join(manifest.calibration.data, f));
  const npy = join(job.scratch, 'peer-calibration.npy');
  // Batch 1: ORT's calibrators stack per-batch outputs and fail on a short last batch.
  await dumpTensors(files, manifest.preprocessing!, 1, false, npy);
  const models: PeerModel[] = [];
  try {
    for (const v of variants) {
      const out = join(job.scratch, `${v.name}.onnx`);
      const ran = await runOrtPeer({ python: setup.python, model: job.model, npy, input: manifest.input, method: PEER_METHOD, threads: job.threads, batchSize: 1, out, config: v.config }, job.limits);
      const report = ran.report;
      const wrote = ran.status === 'ok' && (report?.status === 'ok' || report?.status === 'invalid-model');
      const range = v.config === 'cpu' && report?.reduceRange !== undefined ? `, reduce_range ${report.reduceRange ? 'on: no VNNI' : 'off: CPU has VNNI'}` : '';
      const label = `${v.label} (${v.about}${range})`;
      models.push({
        name: v.name, label, ...(report ? { report } : {}),
        ...(wrote ? { path: out } : { error: `quantize_static fails: ${report?.error ?? `${ran.status}${ran.error ? `: ${ran.error}` : ''}`}` }),
      });
    }
  } finally {
    await rm(npy, { force: true });
  }
  return models;
}
