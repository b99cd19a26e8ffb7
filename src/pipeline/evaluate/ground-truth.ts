/**
 * Ground-truth boxes for AP, in source-image pixels, from three formats:
 * - int8cal's own JSON `{"image.jpg": [{x1, y1, x2, y2, label?}]}` (pixels, keyed by base name);
 * - COCO JSON (`images`, `annotations` with `bbox` [x, y, w, h] in pixels, `categories`): a
 *   category's label is its index among the category ids in ascending order (COCO's 80 of 1–90 →
 *   0–79, as YOLO models number them); `iscrowd` regions are left out;
 * - a folder of YOLO txt files, `<image base name>.txt`, one `class cx cy w h` line per box,
 *   normalized to the image size; an image without a file has no boxes.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { Int8calError } from '../../core/errors.js';
import type { GroundTruthBox } from '../../metrics/index.js';

export const GROUND_TRUTH_FORMATS = ['int8cal-json', 'coco-json', 'yolo-txt'] as const;
export type GroundTruthFormat = (typeof GROUND_TRUTH_FORMATS)[number];

export interface GroundTruth {
  format: GroundTruthFormat;
  /** Boxes of one evaluation image, given its decoded size (YOLO txt is normalized to it). */
  boxesOf(file: string, size: { width: number; height: number }): GroundTruthBox[];
}

const stem = (file: string): string => basename(file, extname(file));
const invalid = (path: string, why: string, hint?: string): Int8calError =>
  new Int8calError('GROUND_TRUTH', `Ground truth ${path}: ${why}`, { file: path, ...(hint ? { hint } : {}) });

export async function readGroundTruth(path: string): Promise<GroundTruth> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(path)).isDirectory();
  } catch (error) {
    throw new Int8calError('GROUND_TRUTH', `Cannot read ground truth ${path}: ${(error as Error).message}`, { file: path }, { cause: error });
  }
  if (isFolder) return readYoloFolder(path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Int8calError('GROUND_TRUTH', `Cannot read ground truth ${path}: ${(error as Error).message}`, {
      file: path, hint: 'expected COCO JSON, JSON like {"image.jpg": [{"x1": 10, "y1": 20, "x2": 50, "y2": 60}]}, or a folder of YOLO .txt files',
    }, { cause: error });
  }
  const table = parsed as Record<string, unknown> | null;
  if (table && Array.isArray(table.images) && Array.isArray(table.annotations)) return fromCoco(path, table);
  return fromBoxTable(path, table ?? {});
}

function fromBoxTable(path: string, table: Record<string, unknown>): GroundTruth {
  for (const [file, boxes] of Object.entries(table)) {
    const ok = Array.isArray(boxes) && boxes.every((b) => ['x1', 'y1', 'x2', 'y2'].every((k) => Number.isFinite((b as Record<string, unknown>)?.[k])));
    if (!ok) throw invalid(path, `the boxes of ${file} are not [{x1, y1, x2, y2}]`);
  }
  return { format: 'int8cal-json', boxesOf: (file) => (table[basename(file)] as GroundTruthBox[] | undefined) ?? [] };
}

interface CocoAnnotation { image_id: unknown; bbox: unknown; category_id: unknown; iscrowd?: unknown }

function fromCoco(path: string, coco: Record<string, unknown>): GroundTruth {
  const names = new Map<unknown, string>();
  for (const image of coco.images as { id?: unknown; file_name?: unknown }[]) {
    if (typeof image?.file_name !== 'string' || image.id === undefined) throw invalid(path, 'an entry of "images" lacks id or file_name');
    names.set(image.id, basename(image.file_name));
  }
  const ids = Array.isArray(coco.categories) ? (coco.categories as { id?: unknown }[]).map((c) => Number(c?.id)) : [];
  const labelOf = new Map([...new Set(ids)].sort((a, b) => a - b).map((id, index) => [id, index]));
  const boxes = new Map<string, GroundTruthBox[]>();
  (coco.annotations as CocoAnnotation[]).forEach((a, i) => {
    const bbox = a?.bbox as number[] | undefined;
    if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every(Number.isFinite)) throw invalid(path, `annotation ${i} has no bbox [x, y, width, height]`);
    const name = names.get(a.image_id);
    if (name === undefined) throw invalid(path, `annotation ${i} refers to image_id ${String(a.image_id)}, which "images" lacks`);
    const label = labelOf.get(Number(a.category_id));
    if (label === undefined) throw invalid(path, `annotation ${i} has category_id ${String(a.category_id)}, which "categories" lacks`);
    if (a.iscrowd === 1 || a.iscrowd === true) return;
    const [x, y, w, h] = bbox as [number, number, number, number];
    boxes.set(name, [...(boxes.get(name) ?? []), { x1: x, y1: y, x2: x + w, y2: y + h, label }]);
  });
  return { format: 'coco-json', boxesOf: (file) => boxes.get(basename(file)) ?? [] };
}

async function readYoloFolder(dir: string): Promise<GroundTruth> {
  const rows = new Map<string, number[][]>();
  for (const name of (await readdir(dir)).filter((f) => f.endsWith('.txt')).sort()) {
    const file = join(dir, name);
    const lines = (await readFile(file, 'utf8')).split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    rows.set(stem(name), lines.map((line, i) => {
      const v = line.split(/\s+/).map(Number);
      const ok = v.length === 5 && v.every(Number.isFinite) && Number.isInteger(v[0]) && v[0]! >= 0 && v.slice(1).every((x) => x >= 0 && x <= 1);
      if (!ok) throw invalid(file, `line ${i + 1} "${line}" is not "class cx cy w h" (class an integer, the rest normalized 0..1)`);
      return v;
    }));
  }
  if (rows.size === 0) throw invalid(dir, 'the folder holds no .txt files', 'YOLO labels: one <image name>.txt per image, lines "class cx cy w h" normalized to the image size');
  return {
    format: 'yolo-txt',
    boxesOf: (file, { width, height }) => (rows.get(stem(file)) ?? []).map(([label, cx, cy, w, h]) => ({
      x1: (cx! - w! / 2) * width, y1: (cy! - h! / 2) * height, x2: (cx! + w! / 2) * width, y2: (cy! + h! / 2) * height, label: label!,
    })),
  };
}
