import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PackageRef } from './manifest.js';

/** Where one package's archive and its extracted tree live in the cache. */
export interface PackagePaths {
  /** Directory holding downloaded archives of this source (.deb, .tgz or .whl). */
  archiveDir: string;
  /** The archive itself once downloaded. */
  archive: string;
  /** The extracted tree; it only exists once extraction finished (it is renamed into place). */
  extractDir: string;
}

/** A file-name-safe form of a package name and version (`:` → `%3a` as apt does, `/` → `+`). */
export function packageStem(ref: PackageRef): string {
  const safe = (text: string): string => text.replaceAll('%', '%25').replaceAll(':', '%3a').replaceAll('/', '+');
  return `${safe(ref.package)}_${safe(ref.version)}`;
}

const ARCHIVE_EXTENSIONS = { debian: '.deb', npm: '.tgz', pypi: '.whl' } as const;

export function packagePaths(cacheDir: string, ref: PackageRef): PackagePaths {
  const stem = packageStem(ref);
  const archiveDir = join(cacheDir, ref.source);
  const extension = ARCHIVE_EXTENSIONS[ref.source];
  return {
    archiveDir,
    archive: join(archiveDir, `${stem}${extension}`),
    extractDir: join(cacheDir, 'extract', ref.source, stem),
  };
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** A fresh private directory next to where its result will be renamed to. */
export async function makeTempDir(parent: string, label: string): Promise<string> {
  await mkdir(parent, { recursive: true });
  const dir = join(parent, `.tmp-${label}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir);
  return dir;
}

/** Renames a finished temp file or directory into place, replacing a stale one. */
export async function moveIntoPlace(temp: string, final: string): Promise<void> {
  await rm(final, { recursive: true, force: true });
  await rename(temp, final);
}

/**
 * Removes the extracted package trees (hundreds of MB: opencv-doc ships its whole HTML
 * manual) but keeps the downloaded archives, so a later run re-extracts without the network.
 */
export async function removeExtractedTrees(cacheDir: string): Promise<void> {
  await rm(join(cacheDir, 'extract'), { recursive: true, force: true });
}
