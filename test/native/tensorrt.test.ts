// The TensorRT part on a machine without a GPU (CI): compiled against the headers, the Maven
// jar's libnvinfer.so.10 dlopened and its version checked, and the user-facing errors when the
// GPU or the libraries are missing. The GPU run itself is bench/tensorrt-gpu.sh.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadNative } from '../../src/core/native.js';
import { libraryDirs, loadTensorRt, tensorrtCacheDir, type TensorRtBinding } from '../../src/core/tensorrt.js';
import { assertCleanRunDir, assertUserError, cli, tempFolder } from '../support/faults-cli.js';
import { modelsDir, repoRoot, samplesDir } from '../support/paths.js';

const finder = join(repoRoot, 'native', 'tensorrt', 'find-headers.cjs');
const headers = (which: string) => execFileSync('node', [finder, which], { encoding: 'utf8' });
const compiled = headers('tensorrt') !== '' && headers('cuda') !== '';
const libsInstalled = existsSync(join(tensorrtCacheDir(), 'lib', 'libnvinfer.so.10'));
const binding = loadNative().tensorrt as TensorRtBinding | undefined;
const hasGpu = (() => {
  try {
    loadTensorRt().binding.gpu();
    return true;
  } catch {
    return false;
  }
})();

it('the addon is compiled with its TensorRT part when TensorRT and CUDA headers are found', { skip: !compiled && 'no TensorRT/CUDA headers (run `npm run tensorrt`)' }, () => {
  assert.ok(binding, 'build/Release/int8cal_native.node has no tensorrt export: rebuild it (npm run tensorrt)');
  assert.equal(binding.headerMajor, 10);
  for (const fn of ['load', 'gpu', 'build', 'Engine'] as const) assert.equal(typeof binding[fn], 'function', fn);
});

it('libnvinfer.so.10 from the Maven jar is dlopened: TensorRT 10.6.0 with libcudart 12.6', { skip: (!compiled || !libsInstalled) && 'run `npm run tensorrt` first' }, () => {
  const { libraries } = loadTensorRt();
  assert.equal(libraries.version, '10.6.0');
  assert.equal(libraries.libVersion, 100600);
  assert.equal(libraries.headerVersion, '10.6.0');
  assert.equal(libraries.cudaRuntime, '12.6');
  assert.ok(libraryDirs().some((d) => libraries.nvinfer === join(d, 'libnvinfer.so.10')), libraries.nvinfer);
  assert.match(libraries.onnxparser, /libnvonnxparser\.so\.10$/);
});

describe('build --engine tensorrt without a GPU', { skip: (!compiled || !libsInstalled || hasGpu) && 'needs the TensorRT libraries and no GPU' }, () => {
  let folder: Awaited<ReturnType<typeof tempFolder>>;
  const run = () => join(folder.dir, 'run');
  before(async () => {
    folder = await tempFolder('trt');
    const calibrate = await cli(['calibrate', '--model', join(modelsDir, 'fr_detect.onnx'), '--data', join(samplesDir, 'faces', 'calibration'),
      '--out', run(), '--size', '320x240', '--resize', 'stretch', '--mean', '127', '--std', '128', '--scale', '1', '--max-images', '2', '--quiet']);
    assert.equal(calibrate.code, 0, calibrate.stderr);
  });
  after(() => folder.cleanup());

  it('fails with "TensorRT needs an NVIDIA GPU and driver", exit 1, and writes nothing', async () => {
    const before = await snapshot(run());
    const result = await cli(['build', '--run', run(), '--engine', 'tensorrt']);
    assertUserError(result, ['TensorRT needs an NVIDIA GPU and driver: ', /CUDA error \d+/]);
    assert.deepEqual(await snapshot(run()), before, 'the run directory changed');
    await assertCleanRunDir(run());
  });

  it('without the libraries the message says where it looked and how to install', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, INT8CAL_TENSORRT_CACHE: join(folder.dir, 'no-cache'), TENSORRT_LIB_DIR: join(folder.dir, 'no-lib') };
    delete env.TENSORRT_ROOT;
    const result = await cli(['build', '--run', run(), '--engine', 'tensorrt'], { env });
    assertUserError(result, [join(folder.dir, 'no-lib', 'libnvinfer.so.10'), join(folder.dir, 'no-cache', 'lib', 'libnvinfer.so.10'), 'LD_LIBRARY_PATH', 'npm run tensorrt', 'TENSORRT_ROOT']);
  });
});

/** Names, sizes and mtimes of the files in a directory. */
async function snapshot(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).sort();
  return Promise.all(names.map(async (n) => {
    const s = await stat(join(dir, n));
    return `${n} ${s.size} ${s.mtimeMs}`;
  }));
}
