/** Accuracy yardsticks for the tests: pooled PSNR, top-1 agreement, detection F1 vs a reference. */

/** PSNR over a set: MSE pooled over all elements, peak = max |ref| over the set. */
export function pooledPsnr(reference: readonly Float32Array[], test: readonly Float32Array[]): number {
  let squared = 0;
  let count = 0;
  let peak = 0;
  reference.forEach((ref, k) => {
    const t = test[k]!;
    for (let i = 0; i < ref.length; i++) {
      const d = ref[i]! - t[i]!;
      squared += d * d;
      peak = Math.max(peak, Math.abs(ref[i]!));
    }
    count += ref.length;
  });
  const mse = squared / count;
  return mse === 0 ? Infinity : 10 * Math.log10((peak * peak) / mse);
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

export function topOneAgreement(reference: readonly Float32Array[], test: readonly Float32Array[]): number {
  const same = reference.filter((ref, k) => argmax(ref) === argmax(test[k]!)).length;
  return same / reference.length;
}

export type Box = [number, number, number, number];

/** Boxes (x1, y1, x2, y2) whose class-1 score ≥ threshold, after greedy NMS. */
export function detections(scores: Float32Array, boxes: Float32Array, threshold = 0.7, nmsIou = 0.4): Box[] {
  const candidates: { score: number; box: Box }[] = [];
  for (let i = 0; i < scores.length / 2; i++) {
    const score = scores[i * 2 + 1]!;
    if (score >= threshold) candidates.push({ score, box: [boxes[i * 4]!, boxes[i * 4 + 1]!, boxes[i * 4 + 2]!, boxes[i * 4 + 3]!] });
  }
  candidates.sort((a, b) => b.score - a.score);
  const kept: Box[] = [];
  for (const c of candidates) if (kept.every((k) => iou(k, c.box) < nmsIou)) kept.push(c.box);
  return kept;
}

export function iou(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** F1 of greedy one-to-one matches at IoU ≥ `threshold`; two empty sets agree (1). */
export function matchF1(reference: readonly Box[][], test: readonly Box[][], threshold = 0.5): number {
  let matched = 0;
  let refCount = 0;
  let testCount = 0;
  reference.forEach((refs, k) => {
    const tests = [...test[k]!];
    refCount += refs.length;
    testCount += tests.length;
    for (const r of refs) {
      let best = -1;
      let bestIou = threshold;
      tests.forEach((t, j) => { const v = iou(r, t); if (v >= bestIou) { bestIou = v; best = j; } });
      if (best >= 0) { matched++; tests.splice(best, 1); }
    }
  });
  if (refCount + testCount === 0) return 1;
  return (2 * matched) / (refCount + testCount);
}
