import { readFile } from 'node:fs/promises';
import { isAbsolute, normalize } from 'node:path';
import { Int8calError } from '../../src/core/errors.js';

/**
 * Where a package comes from: Debian bookworm (`apt-get download`), the npm registry (`npm pack`)
 * or PyPI (`pip download --no-deps`, a wheel).
 */
export type PackageSource = 'debian' | 'npm' | 'pypi';
/** `derived` files are computed from other manifest files (e.g. faces.json from dlib's xml). */
export type FileSource = PackageSource | 'derived';
export type Split = 'calibration' | 'evaluation';
export type FileKind =
  | 'photo'
  | 'model'
  | 'labels'
  | 'groundtruth'
  | 'bad-image'
  | 'exif-orientation';

/** The sample sets and which splits each one has (`null`: the set is not split). */
export const SET_SPLITS: Readonly<Record<string, readonly (Split | null)[]>> = {
  models: [null],
  zoo: [null],
  scenes: ['calibration', 'evaluation'],
  text: ['calibration', 'evaluation'],
  people: ['calibration', 'evaluation', null],
  lfw: ['evaluation'],
  faces: ['calibration'],
  bad: [null],
  orientation: [null],
};

export const FILE_KINDS: readonly FileKind[] = [
  'photo',
  'model',
  'labels',
  'groundtruth',
  'bad-image',
  'exif-orientation',
];

/** How a zoo model's package preprocesses images (see ZOO in selection.ts). */
export interface ZooPreprocessing {
  /** int8cal preprocessing options, by their option names (preset, size, channelOrder, ...). */
  options: Readonly<Record<string, string>>;
  /** What the package does that no option expresses yet, as short notes; empty when exact. */
  unsupported: readonly string[];
  /** The sample set its photos come from (document-like photos for the document models). */
  photos: string;
}

/** A pinned package the manifest takes files from. */
export interface PackageRef {
  source: PackageSource;
  /** Debian package name or npm package name (with scope). */
  package: string;
  /** Exact version: Debian `[epoch:]upstream-revision`, npm semver. */
  version: string;
}

/** How a derived file is computed; see derive.ts. */
export type Derivation = 'dlib-faces-json';

/** One file the installer puts under `datasets/`. */
export interface ManifestEntry {
  /** Where the file goes, relative to `datasets/`, with forward slashes. */
  dest: string;
  source: FileSource;
  /** The package the file comes from (for derived files: the package of its inputs). */
  package: string;
  /** Exact pinned version of that package. */
  version: string;
  /** Path inside the extracted package (for derived files: the package files it comes from). */
  path: string;
  sha256: string;
  bytes: number;
  license: string;
  set: string;
  split: Split | null;
  kind: FileKind;
  /**
   * Zoo models only: the package's own preprocessing, as the preprocessing options int8cal takes
   * (`int8cal run` flags), plus what those options cannot express yet (`unsupported`).
   */
  preprocessing?: ZooPreprocessing;
  /** Derived files only: how, and from which other entries (by dest). */
  derivation?: Derivation;
  inputs?: string[];
}

export interface Manifest {
  /** Bumped when the entry format changes. */
  format: 1;
  /** What generated the manifest, so it can be regenerated. */
  generator: string;
  packages: (PackageRef & { license: string })[];
  files: ManifestEntry[];
}

/** Entries that come straight out of a package (not derived). */
export function packageFiles(manifest: Manifest): ManifestEntry[] {
  return manifest.files.filter((entry) => entry.source !== 'derived');
}

export function packageKey(ref: { source: FileSource; package: string; version: string }): string {
  return `${ref.source}:${ref.package}@${ref.version}`;
}

/**
 * Every problem with the manifest's shape, as readable sentences (empty when well-formed):
 * hashes, licenses, sets/splits, unique and safe destinations, disjoint splits.
 */
export function manifestProblems(manifest: Manifest): string[] {
  const problems: string[] = [];
  if (manifest.format !== 1) problems.push(`unknown manifest format ${String(manifest.format)}`);
  if (!Array.isArray(manifest.files) || manifest.files.length === 0) {
    return [...problems, 'manifest has no files'];
  }
  const seen = new Set<string>();
  const byDest = new Map<string, ManifestEntry>();
  for (const entry of manifest.files) {
    const where = `entry ${JSON.stringify(entry.dest)}`;
    if (typeof entry.dest !== 'string' || !isSafeDest(entry.dest)) problems.push(`${where}: dest must be a relative path inside datasets/`);
    if (seen.has(entry.dest)) problems.push(`${where}: dest listed twice`);
    seen.add(entry.dest);
    byDest.set(entry.dest, entry);
    if (!/^[0-9a-f]{64}$/.test(entry.sha256 ?? '')) problems.push(`${where}: sha256 must be 64 lowercase hex digits`);
    if (!Number.isInteger(entry.bytes) || entry.bytes < 0) problems.push(`${where}: bytes must be a non-negative integer`);
    if (typeof entry.license !== 'string' || entry.license.trim() === '') problems.push(`${where}: missing license`);
    if (!['debian', 'npm', 'pypi', 'derived'].includes(entry.source)) problems.push(`${where}: unknown source ${String(entry.source)}`);
    if (!entry.package || !entry.version || !entry.path) problems.push(`${where}: package, version and path are required`);
    if (!FILE_KINDS.includes(entry.kind)) problems.push(`${where}: unknown kind ${String(entry.kind)}`);
    const splits = SET_SPLITS[entry.set];
    if (!splits) problems.push(`${where}: unknown set ${String(entry.set)}`);
    else if (!splits.includes(entry.split)) problems.push(`${where}: set ${entry.set} has no split ${String(entry.split)}`);
    if (entry.split && !entry.dest.startsWith(`samples/${entry.set}/${entry.split}/`)) {
      problems.push(`${where}: a ${entry.set}/${entry.split} file must live under samples/${entry.set}/${entry.split}/`);
    }
    if (entry.source === 'derived' && (!entry.derivation || !entry.inputs?.length)) {
      problems.push(`${where}: derived files need a derivation and inputs`);
    }
  }
  for (const entry of manifest.files) {
    for (const input of entry.inputs ?? []) {
      const from = byDest.get(input);
      if (!from) problems.push(`entry ${JSON.stringify(entry.dest)}: input ${input} is not in the manifest`);
      else if (from.source === 'derived') problems.push(`entry ${JSON.stringify(entry.dest)}: input ${input} is itself derived`);
    }
  }
  problems.push(...splitOverlaps(manifest.files));
  return problems;
}

/** Calibration and evaluation of one set must not share a file name or a file content. */
function splitOverlaps(files: readonly ManifestEntry[]): string[] {
  const problems: string[] = [];
  const calibration = new Map<string, string>();
  for (const entry of files) {
    if (entry.split !== 'calibration') continue;
    calibration.set(`${entry.set}\0name\0${baseName(entry.dest)}`, entry.dest);
    calibration.set(`${entry.set}\0sha\0${entry.sha256}`, entry.dest);
  }
  for (const entry of files) {
    if (entry.split !== 'evaluation') continue;
    const byName = calibration.get(`${entry.set}\0name\0${baseName(entry.dest)}`);
    const bySha = calibration.get(`${entry.set}\0sha\0${entry.sha256}`);
    if (byName) problems.push(`set ${entry.set}: ${entry.dest} has the same name as calibration file ${byName}`);
    if (bySha) problems.push(`set ${entry.set}: ${entry.dest} has the same content as calibration file ${bySha}`);
  }
  return problems;
}

function baseName(dest: string): string {
  return dest.slice(dest.lastIndexOf('/') + 1);
}

function isSafeDest(dest: string): boolean {
  if (dest === '' || isAbsolute(dest) || dest.includes('\\')) return false;
  const normal = normalize(dest);
  return normal === dest && !normal.startsWith('..') && (dest.startsWith('samples/') || dest.startsWith('models/'));
}

/** Reads and checks a manifest; a malformed one is an error that lists what is wrong. */
export async function loadManifest(file: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Int8calError('MANIFEST_READ', `Could not read the datasets manifest: ${(error as Error).message}`, {
      file,
      hint: 'run from a full checkout of int8cal (datasets/manifest.json is committed)',
    }, { cause: error });
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch (error) {
    throw new Int8calError('MANIFEST_INVALID', `The datasets manifest is not valid JSON: ${(error as Error).message}`, {
      file,
      hint: 'restore it with `git checkout datasets/manifest.json` or regenerate it (datasets/README.md)',
    }, { cause: error });
  }
  const problems = manifestProblems(manifest);
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join('; ');
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
    throw new Int8calError('MANIFEST_INVALID', `The datasets manifest is malformed: ${shown}${more}`, {
      file,
      hint: 'restore it with `git checkout datasets/manifest.json` or regenerate it (datasets/README.md)',
    });
  }
  return manifest;
}
