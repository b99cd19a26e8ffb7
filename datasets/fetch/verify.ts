import { lstat, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Int8calError } from '../../src/core/errors.js';
import { sha256File } from './hash.js';
import type { Manifest, ManifestEntry } from './manifest.js';

export type FileStatus =
  | { state: 'ok' }
  | { state: 'missing' }
  | { state: 'mismatch'; actual: string };

/** A file whose bytes differ from what the manifest pins. */
export interface Mismatch {
  dest: string;
  expected: string;
  actual: string;
  /** `package version` it came from, to say where to look. */
  origin: string;
}

export interface VerifyReport {
  ok: string[];
  missing: string[];
  mismatched: Mismatch[];
  /** Files under samples/ or models/ that the manifest does not list (stale or foreign). */
  extra: string[];
}

/** Whether `file` exists as a regular file with the sha256 the manifest pins for it. */
export async function checkFile(entry: ManifestEntry, file: string): Promise<FileStatus> {
  try {
    const info = await lstat(file);
    if (!info.isFile()) return { state: 'mismatch', actual: 'not a regular file' };
  } catch {
    return { state: 'missing' };
  }
  const actual = await sha256File(file);
  return actual === entry.sha256 ? { state: 'ok' } : { state: 'mismatch', actual };
}

export function originOf(entry: ManifestEntry): string {
  return entry.source === 'derived'
    ? `derived from ${(entry.inputs ?? []).join(' + ')}`
    : `${entry.source} package ${entry.package} ${entry.version}, ${entry.path}`;
}

/** Checks every manifest file under `datasetsDir` (the folder holding samples/ and models/). */
export async function verifyTree(manifest: Manifest, datasetsDir: string): Promise<VerifyReport> {
  const report: VerifyReport = { ok: [], missing: [], mismatched: [], extra: [] };
  for (const entry of manifest.files) {
    const status = await checkFile(entry, join(datasetsDir, entry.dest));
    if (status.state === 'ok') report.ok.push(entry.dest);
    else if (status.state === 'missing') report.missing.push(entry.dest);
    else report.mismatched.push({ dest: entry.dest, expected: entry.sha256, actual: status.actual, origin: originOf(entry) });
  }
  const listed = new Set(manifest.files.map((entry) => entry.dest));
  for (const top of ['samples', 'models']) {
    for (const file of await listFiles(join(datasetsDir, top))) {
      const dest = relative(datasetsDir, file).split(sep).join('/');
      if (!listed.has(dest)) report.extra.push(dest);
    }
  }
  return report;
}

/** The error for a failed verification: names the first bad files and where they come from. */
export function verificationError(report: VerifyReport, datasetsDir: string): Int8calError | undefined {
  if (report.missing.length === 0 && report.mismatched.length === 0) return undefined;
  const parts: string[] = [];
  if (report.mismatched.length > 0) {
    const first = report.mismatched[0]!;
    parts.push(
      `${report.mismatched.length} file(s) have the wrong sha256, e.g. ${first.dest} (expected ${first.expected}, got ${first.actual}; from ${first.origin})`,
    );
  }
  if (report.missing.length > 0) {
    parts.push(`${report.missing.length} file(s) are missing, e.g. ${report.missing.slice(0, 3).join(', ')}`);
  }
  const file = report.mismatched[0]?.dest ?? report.missing[0]!;
  return new Int8calError('DATASETS_INCOMPLETE', `Datasets check failed: ${parts.join('; ')}`, {
    file: join(datasetsDir, file),
    hint: 'run `npm run datasets` to (re)install them; a file you edited by hand is replaced',
  });
}

async function listFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    const info = await lstat(path);
    if (info.isDirectory()) files.push(...(await listFiles(path)));
    else files.push(path);
  }
  return files;
}
