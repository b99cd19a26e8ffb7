// Used by binding.gyp: prints the TensorRT (`tensorrt`) or CUDA (`cuda`) include directory the
// TensorRT part of the addon compiles against, or nothing when absent (the part is then left out).
// TensorRT: $TENSORRT_ROOT/include, else shared/tensorrt/include next to the repo or an ancestor.
// CUDA: $CUDA_INCLUDE_DIR, else the cache of `npm run tensorrt`, else $TENSORRT_ROOT/../cuda, /usr/local/cuda.
const { existsSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');
const { homedir } = require('node:os');

const repo = resolve(__dirname, '..', '..');

function tensorrtCandidates() {
  const list = [];
  if (process.env.TENSORRT_ROOT) list.push(join(process.env.TENSORRT_ROOT, 'include'));
  for (let dir = dirname(repo); ; dir = dirname(dir)) {
    list.push(join(dir, 'shared', 'tensorrt', 'include'));
    if (dirname(dir) === dir) break;
  }
  return list.filter((d) => existsSync(join(d, 'NvInfer.h')) && existsSync(join(d, 'NvOnnxParser.h')));
}

function cudaCandidates() {
  const cache = process.env.INT8CAL_TENSORRT_CACHE || join(homedir(), '.cache', 'int8cal', 'tensorrt-10.6');
  const list = [process.env.CUDA_INCLUDE_DIR, join(cache, 'include'), '/usr/local/cuda/include'].filter(Boolean);
  return list.filter((d) => existsSync(join(d, 'cuda_runtime_api.h')) && existsSync(join(d, 'crt', 'host_defines.h')));
}

const which = process.argv[2];
const found = which === 'tensorrt' ? tensorrtCandidates() : which === 'cuda' ? cudaCandidates() : [];
process.stdout.write(found[0] ?? '');
