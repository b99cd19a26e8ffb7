/**
 * The peer: ONNX Runtime's Python `quantize_static`, installed by the bench itself into
 * bench/.venv (never a dependency of int8cal) and fed the very tensors int8cal calibrates on,
 * dumped to a .npy file by int8cal's own image reader (so preprocessing is byte-identical).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readBatches, type Preprocessing } from '../datasets/images/index.js';
import { ROOT, spawnMeasured, type Measured, type SpawnLimits } from './calibrate.js';

const BENCH = join(ROOT, 'bench');
const VENV = join(BENCH, '.venv');
const PYTHON = join(VENV, 'bin', 'python');
const SCRIPT = join(BENCH, 'ort-peer.py');
const REQUIREMENTS = join(BENCH, 'requirements.txt');

export type PeerSetup = { ok: true; python: string; versions: Record<string, string> } | { ok: false; reason: string };

interface Ran { code: number | null; out: string }

function run(command: string, args: string[], timeoutMs: number): Promise<Ran> {
  return new Promise((done) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => { clearTimeout(timer); done({ code: -1, out: String(error) }); });
    child.on('close', (code) => { clearTimeout(timer); done({ code, out }); });
  });
}

async function installedVersions(): Promise<Record<string, string> | undefined> {
  if (!existsSync(PYTHON)) return undefined;
  const r = await run(PYTHON, ['-c', 'import json, numpy, onnx, onnxruntime; print(json.dumps({"onnxruntime": onnxruntime.__version__, "onnx": onnx.__version__, "numpy": numpy.__version__}))'], 60_000);
  if (r.code !== 0) return undefined;
  try { return JSON.parse(r.out.trim().split('\n').pop()!) as Record<string, string>; } catch { return undefined; }
}

/** Pinned versions from requirements.txt all installed? */
async function upToDate(versions: Record<string, string>): Promise<boolean> {
  const pins = (await readFile(REQUIREMENTS, 'utf8')).split('\n').map((l) => /^([\w-]+)==([\w.]+)/.exec(l.trim())).filter((m) => m !== null);
  return pins.every((m) => versions[m[1]!.toLowerCase()] === m[2]);
}

/** Creates bench/.venv and pip-installs requirements.txt unless already there. */
export async function ensurePeer(log: (line: string) => void): Promise<PeerSetup> {
  const have = await installedVersions();
  if (have && (await upToDate(have))) return { ok: true, python: PYTHON, versions: have };
  if (!existsSync(PYTHON)) {
    log('peer: creating bench/.venv (python3 -m venv)');
    const venv = await run('python3', ['-m', 'venv', VENV], 300_000);
    if (venv.code !== 0) return { ok: false, reason: `python3 -m venv failed: ${lastLines(venv.out)}` };
  }
  log('peer: pip install -r bench/requirements.txt (onnxruntime, onnx, numpy) into bench/.venv');
  const pip = await run(PYTHON, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', REQUIREMENTS], 1_200_000);
  if (pip.code !== 0) {
    const offline = /Could not find a version|No matching distribution|Max retries|ConnectionError|NewConnectionError|Temporary failure in name resolution|Network is unreachable|timed out/i.test(pip.out);
    return { ok: false, reason: offline ? `PyPI is unreachable, ONNX Runtime's Python peer could not be installed (${lastLines(pip.out)})` : `pip install failed: ${lastLines(pip.out)}` };
  }
  const versions = await installedVersions();
  return versions ? { ok: true, python: PYTHON, versions } : { ok: false, reason: 'the peer installed but onnxruntime does not import' };
}

const lastLines = (s: string): string => s.trim().split('\n').slice(-2).join(' | ').slice(0, 400);

/**
 * Writes the preprocessed calibration tensors of `files` to a float32 .npy [N, ...image dims],
 * batch by batch (the header is rewritten with the final N). Returns the tensor shape.
 */
export async function dumpTensors(files: readonly string[], spec: Preprocessing, batchSize: number, fixedBatch: boolean, path: string): Promise<number[]> {
  const HEADER = 128;
  const file = await open(path, 'w');
  let n = 0;
  let dims: number[] = [];
  try {
    let position = HEADER;
    for await (const batch of readBatches(files, spec, { batchSize })) {
      if (fixedBatch && batch.dims[0] !== batchSize) break; // as calibration: a fixed batch can't be partial
      const bytes = new Uint8Array(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength);
      await file.write(bytes, 0, bytes.length, position);
      position += bytes.length;
      n += batch.dims[0]!;
      dims = batch.dims.slice(1);
    }
    const shape = [n, ...dims];
    let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
    header = header.padEnd(HEADER - 10 - 1, ' ') + '\n';
    const prefix = Buffer.alloc(10);
    prefix.write('\x93NUMPY', 0, 'latin1');
    prefix[6] = 1;
    prefix[7] = 0;
    prefix.writeUInt16LE(header.length, 8);
    await file.write(Buffer.concat([prefix, Buffer.from(header, 'latin1')]), 0, HEADER, 0);
    return shape;
  } finally {
    await file.close();
  }
}

/** ort-peer.py --config: `symmetric` int8 (int8cal's kind of Q/DQ) or quantize_static's CPU advice (uint8 activations). */
export type PeerConfig = 'symmetric' | 'cpu';

export interface PeerReport {
  status: 'ok' | 'failed' | 'invalid-model';
  method: string;
  config?: PeerConfig;
  activationType?: string;
  weightType?: string;
  reduceRange?: boolean;
  wallMs: number;
  maxRssKiB: number;
  error?: string;
  quantizeNodes?: number;
  warnings?: string[];
}

export interface PeerJob {
  python: string;
  model: string;
  npy: string;
  input: string;
  method: 'Entropy' | 'MinMax';
  threads: number;
  batchSize: number;
  /** Where quantize_static writes its model. */
  out: string;
  config?: PeerConfig;
}

/** One quantize_static run in its own process; `limits` protect the shared machine. */
export function runOrtPeer(job: PeerJob, limits: SpawnLimits): Promise<Measured<PeerReport>> {
  return spawnMeasured<PeerReport>(job.python, [SCRIPT, '--model', job.model, '--data', job.npy, '--input', job.input, '--method', job.method,
    '--threads', String(job.threads), '--batch-size', String(job.batchSize), '--out', job.out, '--config', job.config ?? 'symmetric'], limits);
}
