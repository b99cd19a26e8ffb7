#!/usr/bin/env bash
# `npm run tensorrt`: fetches TensorRT 10.6 and the CUDA 12.6 runtime (headers + libcudart) into
# ~/.cache/int8cal/tensorrt-10.6 (outside the repo), checks every extracted file against the sha256
# manifest scripts/tensorrt-10.6.sha256, then rebuilds the native addon so its TensorRT part is
# compiled. Idempotent (a verified cache is left alone) and atomic (temp dir + rename).
#   --no-builder-resource  skip libnvinfer_builder_resource (1.4 GB): enough to compile, dlopen and
#                          check versions (CI), not to build engines on a GPU
#   --no-rebuild           don't run node-gyp rebuild
# Sources: Maven Central org.bytedeco:tensorrt:10.6-1.5.11:jar:linux-x86_64-redist (mvn checks its
# sha1), PyPI nvidia-cuda-runtime-cu12==12.6.77 and nvidia-cuda-nvcc-cu12==12.6.85 (include/crt/).
# Users with their own TensorRT set TENSORRT_ROOT (include/ + lib/) or TENSORRT_LIB_DIR instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
manifest=$root/scripts/tensorrt-10.6.sha256
dest=${INT8CAL_TENSORRT_CACHE:-$HOME/.cache/int8cal/tensorrt-10.6}
builder=1 rebuild=1
for arg in "$@"; do
  case $arg in
    --no-builder-resource) builder=0 ;;
    --no-rebuild) rebuild=0 ;;
    *) echo "tensorrt-setup: unknown option $arg" >&2; exit 2 ;;
  esac
done
resource=lib/libnvinfer_builder_resource.so.10.6.0
# The files this invocation needs: the whole manifest, or all but the builder resource.
wanted() { if [ $builder = 1 ]; then cat "$manifest"; else grep -v " $resource\$" "$manifest"; fi; }

verified() { [ -d "$1" ] && (cd "$1" && wanted | sha256sum --quiet --status -c - 2>/dev/null); }

if verified "$dest"; then
  echo "tensorrt: $dest verified ($(wanted | wc -l) files)"
else
  parent=$(dirname "$dest"); mkdir -p "$parent"
  work=$(mktemp -d "$parent/.tensorrt-10.6.XXXXXX"); trap 'rm -rf "$work"' EXIT
  stage=$work/tree; mkdir -p "$stage/lib" "$stage/include"
  jar=$HOME/.m2/repository/org/bytedeco/tensorrt/10.6-1.5.11/tensorrt-10.6-1.5.11-linux-x86_64-redist.jar
  [ -f "$jar" ] || mvn -q dependency:get -Dartifact=org.bytedeco:tensorrt:10.6-1.5.11:jar:linux-x86_64-redist -Dtransitive=false
  libs=(libnvinfer.so.10 libnvonnxparser.so.10 libnvinfer_plugin.so.10)
  [ $builder = 1 ] && libs+=(libnvinfer_builder_resource.so.10.6.0)
  unzip -q -o -j -d "$stage/lib" "$jar" "${libs[@]/#/org/bytedeco/tensorrt/linux-x86_64/}"
  python3 -m pip download -q --no-deps --only-binary=:all: --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform manylinux1_x86_64 -d "$work/wheels" nvidia-cuda-runtime-cu12==12.6.77 nvidia-cuda-nvcc-cu12==12.6.85
  unzip -q -o -d "$work/w" "$work"/wheels/nvidia_cuda_runtime_cu12-*.whl 'nvidia/cuda_runtime/include/*.h' 'nvidia/cuda_runtime/lib/libcudart.so.12'
  unzip -q -o -d "$work/w" "$work"/wheels/nvidia_cuda_nvcc_cu12-*.whl 'nvidia/cuda_nvcc/include/crt/*'
  cp -r "$work"/w/nvidia/cuda_runtime/include/. "$work"/w/nvidia/cuda_nvcc/include/crt "$stage/include/"
  cp "$work"/w/nvidia/cuda_runtime/lib/libcudart.so.12 "$stage/lib/"
  # The builder resource of an earlier full setup is kept when this one skipped it.
  if [ $builder = 0 ] && [ -f "$dest/$resource" ]; then cp -l "$dest/$resource" "$stage/lib/" 2>/dev/null || cp "$dest/$resource" "$stage/lib/"; fi
  if ! (cd "$stage" && wanted | sha256sum --quiet -c -); then
    echo "tensorrt: extracted files do not match $manifest (see above); nothing installed" >&2; exit 1
  fi
  cp "$manifest" "$stage/SHA256SUMS"
  [ -e "$dest" ] && mv "$dest" "$work/old"
  mv "$stage" "$dest"
  echo "tensorrt: installed TensorRT 10.6 + CUDA 12.6 runtime into $dest"
fi

if [ $rebuild = 1 ]; then
  if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_api.h ]; then export npm_config_nodedir=/usr; fi
  (cd "$root" && npm run --silent install >/dev/null) || { echo "tensorrt: node-gyp rebuild failed" >&2; exit 1; }
  echo "tensorrt: native addon rebuilt with its TensorRT part"
fi
