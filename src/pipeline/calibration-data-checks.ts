/**
 * Calibration images that calibrate on less than they seem: byte-identical copies (same
 * sha256) and images of one flat colour (every pixel the same value per channel, e.g. all
 * black). Neither is an error — the scales are still computed — but a folder of copies or of
 * black frames gives scales for no real content, and gates later pass on them. So each is a
 * warning, returned as data (and passed to onWarning as it is found).
 */
import { relative } from 'node:path';
import type { FlatImage } from '../../datasets/images/index.js';
import type { WarningCallback } from '../core/progress.js';
import { sha256File } from '../run/manifest.js';

export type CalibrationDataWarningCode = 'DUPLICATE_IMAGES' | 'FLAT_IMAGES';

/** A warning about the calibration images, as data; the CLI prints `message`. */
export interface CalibrationDataWarning {
  code: CalibrationDataWarningCode;
  /** The images concerned, relative to the data folder, in file order. */
  files: string[];
  message: string;
}

const LISTED = 3;
const listed = (items: readonly string[], separator = ', '): string => `${items.slice(0, LISTED).join(separator)}${items.length > LISTED ? `${separator}…` : ''}`;

/** Byte-identical images (same sha256): every copy after the first adds nothing. */
export async function duplicateImages(files: readonly string[], data: string): Promise<CalibrationDataWarning | undefined> {
  const seen = new Map<string, string>();
  const copies: { file: string; first: string }[] = [];
  for (const file of files) {
    const sha = await sha256File(file);
    if (sha === undefined) continue;
    const first = seen.get(sha);
    if (first) copies.push({ file: relative(data, file), first: relative(data, first) });
    else seen.set(sha, file);
  }
  if (!copies.length) return undefined;
  const names = copies.map((c) => c.file);
  const message = seen.size === 1
    ? `all ${files.length} calibration images are byte-identical (the same file as ${copies[0]!.first}): calibration sees one image, not ${files.length}`
    : `${copies.length} of the ${files.length} calibration images are byte-identical copies of others (${listed(copies.map((c) => `${c.file} = ${c.first}`))}): they add no information`;
  return { code: 'DUPLICATE_IMAGES', files: names, message };
}

/** How a flat colour reads: "all black", "all white", "all 128" (grey), "all (255, 0, 0)". */
export function describeColour(colour: readonly number[]): string {
  const solid = colour.every((c) => c === colour[0]);
  if (solid && colour[0] === 0) return 'all black';
  if (solid && colour[0] === 255) return 'all white';
  return `all ${colour.length === 1 ? colour[0] : `(${colour.join(', ')})`}`;
}

/** Images of one flat colour among the `fed` images (the ones calibration used). */
export function flatImages(flat: readonly FlatImage[], fed: number, data: string): CalibrationDataWarning | undefined {
  if (!flat.length) return undefined;
  const shown = listed(flat.map((f) => `${relative(data, f.file)}: ${describeColour(f.colour)}`), '; ');
  const message = flat.length === fed
    ? `all ${fed} calibration images are one flat colour (${shown}): the scales come from images without content; calibrate on images like the ones the model sees in use`
    : `${flat.length} of the ${fed} calibration images are one flat colour (${shown}): they show the model no content`;
  return { code: 'FLAT_IMAGES', files: flat.map((f) => relative(data, f.file)), message };
}

/** Passes a found warning on and keeps it. */
export function report(found: CalibrationDataWarning | undefined, into: CalibrationDataWarning[], onWarning?: WarningCallback): void {
  if (!found) return;
  into.push(found);
  onWarning?.(found.message);
}
