/**
 * Does tune's choice hold on photos it did not choose on? One split's held-out number is a few
 * photos (the text set has 7 evaluation photos: 3 tune, 4 judged) and these int8 networks move
 * per-photo PSNR by 1–10 dB under any perturbation, so bench/tune (`--tune-splits K`) repeats tune
 * on K splits of the model's evaluation photos: split s tunes on the k photos [s·k … s·k+k)
 * (wrapping) and judges the all-int8 and the tuned model on up to `judge` photos it never saw: the
 * other evaluation photos, then the `extra` set's (the scenes photos: out of the text models'
 * domain, but PSNR against fp32 needs no labels). Calibration photos are never judged on: tune
 * checks its moves on them.
 */
import { mkdir, symlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { listImages } from '../datasets/images/index.js';
import { tune } from '../src/pipeline/tune/index.js';
import { AccuracyProbe } from '../src/pipeline/tune/probe.js';
import { placementOf } from '../src/onnx/qdq/index.js';

export interface SplitTune {
  split: number;
  tuneOn: number;
  judgedOn: number;
  reached: boolean;
  floatNodes: number;
  evaluations: number;
  /** Worst-output PSNR (dB) on the tune photos, all-int8 → chosen. */
  tuneStart: number;
  tuneFinal: number;
  /** Pooled worst-output PSNR (dB) on the judged photos. */
  allInt8: number;
  tuned: number;
}

export interface SplitTuneSummary {
  splits: SplitTune[];
  /** Mean over splits of tuned − all-int8 on the judged photos (dB). */
  meanGain: number;
  worstGain: number;
  /** Splits where the tuned model judged worse than all-int8 by more than 0.1 dB. */
  worse: number;
}

async function linkFolder(dir: string, files: readonly string[]): Promise<string> {
  await mkdir(dir, { recursive: true });
  // Numbered prefixes keep the pool's order (the probe reads a folder sorted).
  for (const [i, f] of files.entries()) await symlink(f, join(dir, `${String(i).padStart(3, '0')}-${basename(f)}`));
  return dir;
}

const worst = (m: { psnr?: number }) => m.psnr ?? NaN;

async function scoreFile(probe: AccuracyProbe, file: string): Promise<number> {
  const engine = await probe.open(file, placementOf('ort-cpu').qdqOnOrt);
  try { return worst(await probe.score(engine)); } finally { await engine.dispose(); }
}

/** tune (ort-cpu placement) on `count` splits of the pool; the run directory's int8-ort model must be built. */
export async function tuneSplits(c: Record<string, unknown>, out: string, work: string, o: { k: number; count: number; judge: number; target: string; extra: string[] }): Promise<SplitTuneSummary> {
  const pool = await listImages(c.evalData as string);
  const extra: string[] = [];
  for (const dir of o.extra) extra.push(...await listImages(dir));
  const rows: SplitTune[] = [];
  for (let s = 0; s < o.count; s++) {
    const at = (s * o.k) % pool.length;
    const picked = new Set(Array.from({ length: o.k }, (_, i) => (at + i) % pool.length));
    const tuneOn = [...picked].map((i) => pool[i]!);
    const judged = [...pool.filter((_, i) => !picked.has(i)), ...extra.filter((f) => !pool.includes(f))].slice(0, o.judge);
    const tuneDir = await linkFolder(join(work, `split${s}-tune`), tuneOn);
    const judge = await AccuracyProbe.create({ ...c, run: out, data: await linkFolder(join(work, `split${s}-judge`), judged), images: judged.length });
    try {
      const allInt8 = await scoreFile(judge, join(out, 'model.int8-ort.onnx'));
      const result = await tune({ ...c, run: out, data: tuneDir, accuracyTarget: o.target, targets: ['ort-cpu'], tuneImages: o.k, tuneIterations: 2 } as Parameters<typeof tune>[0]);
      const p = result.placements[0]!;
      const chosen = p.steps[p.chosen]!;
      rows.push({ split: s, tuneOn: o.k, judgedOn: judge.imageCount, reached: p.reached, floatNodes: chosen.floatNodes.length, evaluations: p.evaluations,
        tuneStart: Number(p.steps[0]!.metrics.psnr), tuneFinal: Number(chosen.metrics.psnr), allInt8, tuned: await scoreFile(judge, join(out, p.file)) });
    } finally {
      await judge.dispose();
    }
  }
  const gains = rows.map((r) => r.tuned - r.allInt8);
  return { splits: rows, meanGain: gains.reduce((a, b) => a + b, 0) / gains.length, worstGain: Math.min(...gains), worse: gains.filter((g) => g < -0.1).length };
}
