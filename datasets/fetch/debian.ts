import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Int8calError } from '../../src/core/errors.js';
import { exists, makeTempDir, moveIntoPlace, packagePaths } from './cache.js';
import { lastLines, runCommand, type CommandResult } from './exec.js';
import type { PackageRef } from './manifest.js';

/** When the installer may run `apt-get update` by itself. */
export type AptUpdatePolicy = 'on-failure' | 'never';

export interface DebianOptions {
  cacheDir: string;
  aptUpdate: AptUpdatePolicy;
  /** Progress lines (the CLI prints them on stderr). */
  log: (line: string) => void;
  /** Shared across calls so `apt-get update` runs at most once per install. */
  state: { aptUpdated: boolean };
}

/** What fetching did: where the tree is, and whether it had to download or extract. */
export interface FetchedPackage {
  root: string;
  downloaded: boolean;
  extracted: boolean;
}

/** apt-get's ways of saying "I don't know this package or version (yet)". */
const STALE_LISTS = /Unable to locate package|Can't find a source to download|Version '.*' for '.*' was not found|No packages found|Failed to fetch|404\s+Not Found/i;

/**
 * Makes `ref` (a Debian package at an exact version) available as an extracted tree in the
 * cache: `apt-get download PKG=VERSION` then `dpkg-deb -x`. Reuses the cached .deb and the
 * extracted tree when present, so a second call does nothing.
 */
export async function fetchDebian(ref: PackageRef, options: DebianOptions): Promise<FetchedPackage> {
  const paths = packagePaths(options.cacheDir, ref);
  if (await exists(paths.extractDir)) return { root: paths.extractDir, downloaded: false, extracted: false };

  let downloaded = false;
  if (!(await exists(paths.archive))) {
    await downloadDeb(ref, paths.archiveDir, paths.archive, options);
    downloaded = true;
  }

  options.log(`extract ${ref.package} ${ref.version}`);
  const temp = await makeTempDir(join(paths.extractDir, '..'), 'extract');
  const result = await runCommand('dpkg-deb', ['-x', paths.archive, temp]);
  if (!result.ok) {
    await rm(temp, { recursive: true, force: true });
    await rm(paths.archive, { force: true });
    throw new Int8calError(
      'PACKAGE_EXTRACT',
      `Could not extract Debian package ${ref.package} ${ref.version}: ${describeFailure(result)}`,
      { file: paths.archive, hint: 'the cached .deb was removed; run `npm run datasets` again (dpkg-deb must be installed)' },
    );
  }
  await moveIntoPlace(temp, paths.extractDir);
  return { root: paths.extractDir, downloaded, extracted: true };
}

async function downloadDeb(ref: PackageRef, archiveDir: string, archive: string, options: DebianOptions): Promise<void> {
  const spec = `${ref.package}=${ref.version}`;
  const temp = await makeTempDir(archiveDir, 'download');
  try {
    options.log(`download ${ref.package} ${ref.version} (apt-get download)`);
    let result = await runCommand('apt-get', ['download', spec], { cwd: temp });
    if (!result.ok && !result.spawnError && options.aptUpdate === 'on-failure' && !options.state.aptUpdated && STALE_LISTS.test(result.stderr)) {
      options.log('apt-get update (package lists look stale)');
      options.state.aptUpdated = true;
      const update = await runCommand('apt-get', ['update']);
      if (!update.ok) options.log(`apt-get update failed: ${describeFailure(update)}`);
      result = await runCommand('apt-get', ['download', spec], { cwd: temp });
    }
    if (!result.ok) throw fetchError(ref, result);
    const debs = (await readdir(temp)).filter((name) => name.endsWith('.deb'));
    if (debs.length !== 1) {
      throw new Int8calError('PACKAGE_FETCH', `apt-get download ${spec} succeeded but left ${debs.length} .deb files`, {
        file: temp,
        hint: 'check the apt configuration (apt-get download should fetch exactly one file)',
      });
    }
    await moveIntoPlace(join(temp, debs[0]!), archive);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

function fetchError(ref: PackageRef, result: CommandResult): Int8calError {
  const missingTool = result.spawnError !== undefined;
  return new Int8calError(
    'PACKAGE_FETCH',
    `Could not download Debian package ${ref.package} version ${ref.version}: ${describeFailure(result)}`,
    {
      hint: missingTool
        ? 'the datasets come from Debian bookworm packages: this needs apt-get and dpkg-deb (a Debian 12 system or container)'
        : `check the network connection and the apt sources (Debian bookworm main must be listed), then run \`apt-get update\` and \`apt-cache policy ${ref.package}\` to see the available versions`,
    },
  );
}

function describeFailure(result: CommandResult): string {
  if (result.spawnError) return result.spawnError;
  const text = lastLines(result.stderr.split('\n').filter((line) => !line.startsWith('W: Download is performed unsandboxed')).join('\n'));
  return text || `exit code ${String(result.code)}`;
}
