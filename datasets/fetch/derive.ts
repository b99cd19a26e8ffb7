import { Int8calError } from '../../src/core/errors.js';
import type { Derivation } from './manifest.js';

/** A face box in pixel coordinates of the original image: x2 = left + width, y2 = top + height. */
export interface FaceBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** Present (true) only for boxes dlib marks `ignore='1'`: neither a hit nor a miss. */
  ignore?: true;
}

/** `{ "<image file name>": [boxes] }`, the format of samples/people/faces.json. */
export type FaceBoxes = Record<string, FaceBox[]>;

/**
 * Parses dlib's imglab xml (`<image file='…'><box top='…' left='…' width='…' height='…'/>`)
 * into boxes per image file name. Parts (landmarks) inside boxes are ignored.
 */
export function parseDlibBoxes(xml: string, source: string): FaceBoxes {
  const boxes: FaceBoxes = {};
  const imagePattern = /<image\s([^>]*?)(\/>|>([\s\S]*?)<\/image>)/g;
  for (const image of xml.matchAll(imagePattern)) {
    const file = attributes(image[1]!).file;
    if (!file) throw badXml(source, 'an <image> element has no file attribute');
    const list = (boxes[file] ??= []);
    for (const box of (image[3] ?? '').matchAll(/<box\s([^>]*?)\/?>/g)) {
      const a = attributes(box[1]!);
      const [top, left, width, height] = [a.top, a.left, a.width, a.height].map((value) => Number(value));
      if (![top, left, width, height].every((value) => Number.isFinite(value))) {
        throw badXml(source, `a box of ${file} lacks top/left/width/height`);
      }
      const face: FaceBox = { x1: left!, y1: top!, x2: left! + width!, y2: top! + height! };
      if (a.ignore === '1' || a.ignore === 'true') face.ignore = true;
      list.push(face);
    }
  }
  if (Object.keys(boxes).length === 0) throw badXml(source, 'no <image> elements found');
  return boxes;
}

/** Merges box lists from several xml files; keys sorted so the output is deterministic. */
export function mergeFaceBoxes(parts: readonly FaceBoxes[]): FaceBoxes {
  const merged: FaceBoxes = {};
  for (const part of parts) {
    for (const [file, list] of Object.entries(part)) (merged[file] ??= []).push(...list);
  }
  return Object.fromEntries(Object.keys(merged).sort().map((file) => [file, merged[file]!]));
}

/** Computes a derived file's bytes from its inputs' contents (in manifest order). */
export function deriveFile(derivation: Derivation, inputs: readonly { dest: string; text: string }[]): string {
  switch (derivation) {
    case 'dlib-faces-json': {
      const boxes = mergeFaceBoxes(inputs.map((input) => parseDlibBoxes(input.text, input.dest)));
      return formatFaceBoxes(boxes);
    }
  }
}

/** JSON with one box per line (readable, diff-friendly, still plain JSON). */
export function formatFaceBoxes(boxes: FaceBoxes): string {
  const images = Object.entries(boxes).map(([file, list]) => {
    const lines = list.map((box) => `    ${JSON.stringify(box)}`).join(',\n');
    return `  ${JSON.stringify(file)}: [\n${lines}\n  ]`;
  });
  return `{\n${images.join(',\n')}\n}\n`;
}

function attributes(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const match of text.matchAll(/([\w:-]+)\s*=\s*(?:'([^']*)'|"([^"]*)")/g)) {
    result[match[1]!] = decodeEntities(match[2] ?? match[3] ?? '');
  }
  return result;
}

function decodeEntities(text: string): string {
  return text
    .replaceAll('&apos;', "'")
    .replaceAll('&quot;', '"')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

function badXml(source: string, what: string): Int8calError {
  return new Int8calError('GROUND_TRUTH_INVALID', `Could not read dlib face boxes: ${what}`, {
    file: source,
    hint: 'the xml comes from libdlib19.1; re-run `npm run datasets` to restore it',
  });
}
