import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Int8calError } from '../../src/core/errors.js';
import { exists, makeTempDir, moveIntoPlace, packagePaths } from './cache.js';
import type { FetchedPackage } from './debian.js';
import { lastLines, runCommand, type CommandResult } from './exec.js';
import type { PackageRef } from './manifest.js';

export interface NpmOptions {
  cacheDir: string;
  log: (line: string) => void;
}

/**
 * Makes `ref` (an npm package at an exact version) available as an extracted tree in the
 * cache: `npm pack NAME@VERSION` then `tar xzf` — never `npm install`, which would pull the
 * package's dependencies. Files end up under `package/` as in every npm tarball.
 */
export async function fetchNpm(ref: PackageRef, options: NpmOptions): Promise<FetchedPackage> {
  const paths = packagePaths(options.cacheDir, ref);
  if (await exists(paths.extractDir)) return { root: paths.extractDir, downloaded: false, extracted: false };

  let downloaded = false;
  if (!(await exists(paths.archive))) {
    await packTarball(ref, paths.archiveDir, paths.archive, options);
    downloaded = true;
  }

  options.log(`extract ${ref.package}@${ref.version}`);
  const temp = await makeTempDir(join(paths.extractDir, '..'), 'extract');
  const result = await runCommand('tar', ['xzf', paths.archive, '-C', temp]);
  if (!result.ok) {
    await rm(temp, { recursive: true, force: true });
    await rm(paths.archive, { force: true });
    throw new Int8calError(
      'PACKAGE_EXTRACT',
      `Could not extract npm package ${ref.package}@${ref.version}: ${describeFailure(result)}`,
      { file: paths.archive, hint: 'the cached tarball was removed; run `npm run datasets` again (tar must be installed)' },
    );
  }
  await moveIntoPlace(temp, paths.extractDir);
  return { root: paths.extractDir, downloaded, extracted: true };
}

async function packTarball(ref: PackageRef, archiveDir: string, archive: string, options: NpmOptions): Promise<void> {
  const spec = `${ref.package}@${ref.version}`;
  const temp = await makeTempDir(archiveDir, 'pack');
  try {
    options.log(`download ${spec} (npm pack)`);
    const result = await runCommand('npm', ['pack', spec, '--pack-destination', temp, '--ignore-scripts', '--loglevel', 'error'], { cwd: temp });
    if (!result.ok) {
      throw new Int8calError('PACKAGE_FETCH', `Could not download npm package ${spec}: ${describeFailure(result)}`, {
        hint: result.spawnError
          ? 'this needs the npm client on PATH'
          : `check the network connection and the registry (\`npm config get registry\`), and that the version exists: \`npm view ${ref.package} versions\``,
      });
    }
    const tarballs = (await readdir(temp)).filter((name) => name.endsWith('.tgz'));
    if (tarballs.length !== 1) {
      throw new Int8calError('PACKAGE_FETCH', `npm pack ${spec} succeeded but left ${tarballs.length} tarballs`, {
        file: temp,
        hint: 'check the npm configuration (npm pack should write exactly one .tgz)',
      });
    }
    await moveIntoPlace(join(temp, tarballs[0]!), archive);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

function describeFailure(result: CommandResult): string {
  if (result.spawnError) return result.spawnError;
  const errors = result.stderr
    .split('\n')
    .filter((line) => !/^npm (warn|notice)/i.test(line) && !/complete log of this run|In most cases you or one of your dependencies/.test(line));
  return lastLines(errors.join('\n'), 3) || `exit code ${String(result.code)}`;
}
