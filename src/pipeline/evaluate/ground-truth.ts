import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Int8calError } from '../../core/errors.js';
import type { GroundTruthBox } from '../../metrics/index.js';

/** Reads `{"image.jpg": [{x1, y1, x2, y2}, …]}` (source pixels), keyed by file base name. */
export async function readGroundTruth(path: string): Promise<(file: string) => GroundTruthBox[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Int8calError('GROUND_TRUTH', `Cannot read ground truth ${path}: ${(error as Error).message}`, {
      file: path, hint: 'expected JSON like {"image.jpg": [{"x1": 10, "y1": 20, "x2": 50, "y2": 60}]}',
    }, { cause: error });
  }
  const table = parsed as Record<string, unknown>;
  for (const [file, boxes] of Object.entries(table ?? {})) {
    const ok = Array.isArray(boxes) && boxes.every((b) => ['x1', 'y1', 'x2', 'y2'].every((k) => Number.isFinite((b as Record<string, unknown>)?.[k])));
    if (!ok) throw new Int8calError('GROUND_TRUTH', `Ground truth ${path}: the boxes of ${file} are not [{x1, y1, x2, y2}]`, { file: path });
  }
  return (file) => (table[basename(file)] as GroundTruthBox[] | undefined) ?? [];
}
