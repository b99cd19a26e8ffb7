#!/usr/bin/env bash
# The TensorRT backend on a GPU, one model per call (each fits in ~10 minutes on an H200):
#   bash bench/tensorrt-gpu.sh fr  [build|scales|all]   # fr_detect 320x240, 21 face photos
#   bash bench/tensorrt-gpu.sh det [build|scales|all]   # PaddleOCR det 640x640, first 8 text photos
# build:  calibrate (if RUN has no run.json) → `build --engine tensorrt` (fp32, fp16, int8 with
#         int8cal's cache, int8-qdq) → `evaluate --engine tensorrt` → report.
# scales: TensorRT's own EntropyCalibration2 through the bridge (--trt-scales tensorrt), twice in a
#         copy of RUN (run-to-run spread), each compared with the golden cache.
# Needs TensorRT 10.6 + libcudart 12 (npm run tensorrt, or TENSORRT_LIB_DIR/LD_LIBRARY_PATH) and a
# built tree (npm ci). RUNS (default runs/gpu) holds the runs; the timing cache is kept in
# TIMING (default /tmp/int8cal-trt.timing-cache) so later builds reuse kernel timings.
set -euo pipefail
model=${1:?fr or det}; what=${2:-all}
root=$(cd "$(dirname "$0")/.." && pwd); cd "$root"
runs=${RUNS:-runs/gpu}; timing=${TIMING:-/tmp/int8cal-trt.timing-cache}
golden=${GOLDEN:-$(for d in .. ../.. ../../..; do [ -d "$d/shared/golden/tensorrt-10.6" ] && echo "$d/shared/golden/tensorrt-10.6" && break; done)}
cli() { node dist/src/cli/main.js "$@"; }
t() { local s=$(date +%s%N); "$@"; echo "  [$(( ($(date +%s%N) - s) / 1000000 )) ms] $*" >&2; }
case $model in
  fr)  run=$runs/fr; golden_cache=fr_detect.entropy2.cache; eval_data=datasets/samples/people/evaluation
       calibrate=(--model datasets/models/fr_detect.onnx --data datasets/samples/faces/calibration --size 320x240 --resize stretch --preset imagenet --mean 127 --std 128 --scale 1) ;;
  det) run=$runs/det; golden_cache=ppocr_det_640.entropy2.cache; eval_data=datasets/samples/text/evaluation
       calibrate=(--model datasets/models/ch_PP-OCRv4_det_infer.onnx --data datasets/samples/text/calibration --size 640x640 --resize stretch --preset imagenet --calibrator percentile --max-images 8) ;;
  *) echo "model: fr or det" >&2; exit 2 ;;
esac
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true

if [ "$what" = build ] || [ "$what" = all ]; then
  [ -f "$run/run.json" ] || t cli calibrate "${calibrate[@]}" --out "$run" --quiet
  t cli build --run "$run" --engine tensorrt --trt-timing-cache "$timing" --quiet
  node -e 'const b=require(process.argv[1]).tensorrt; for (const e of Object.values(b.engines)) console.log(`  ${e.mode}: ${(e.buildMs/1000).toFixed(1)} s, ${e.bytes} bytes${e.missingScales ? `, ${e.missingScales.count} tensors without a scale` : ""}${e.calibration ? `, getBatch calls ${e.calibration.getBatchCalls}, constants added ${e.calibration.constantsAdded}` : ""}`)' "$root/$run/build.json"
  t cli evaluate --run "$run" --data "$eval_data" --engine tensorrt --batch-size 1 --iterations ${ITERATIONS:-200} --quiet
  t cli report --run "$run"
fi

if [ "$what" = scales ] || [ "$what" = all ]; then
  for pass in 1 2; do
    copy=$run-trt-scales-$pass; rm -rf "$copy"; cp -r "$run" "$copy"
    t cli build --run "$copy" --engine tensorrt --trt-engines int8 --trt-scales tensorrt --trt-timing-cache "$timing" --quiet
  done
  node dist/bench/tensorrt-golden.js "$run-trt-scales-1/calibration.tensorrt.cache" "$run-trt-scales-2/calibration.tensorrt.cache"
  [ -n "$golden" ] && node dist/bench/tensorrt-golden.js "$golden/$golden_cache" "$run-trt-scales-1/calibration.tensorrt.cache" "$run-trt-scales-2/calibration.tensorrt.cache"
fi
