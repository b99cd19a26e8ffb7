#!/usr/bin/env bash
# The TensorRT backend on a GPU, one model per call (each phase fits in ~10 minutes on an H200):
#   bash bench/tensorrt-gpu.sh fr|det PHASE…
#   bash bench/tensorrt-gpu.sh e2e            # `int8cal run --engine tensorrt`, the bundled fr_detect job
# fr: fr_detect 320x240, 21 face photos; det: PaddleOCR det 640x640, the first 8 text photos.
# Phases (in the order given):
#   build   calibrate (if RUN has no run.json) → `build --engine tensorrt` ($ENGINES, default all four);
#           prints build time, size and layer precisions per engine and checks manifest.json vouches
#           for every plan. Builds only: run two models' builds side by side if you like, but time
#           them (eval) alone.
#   eval    `evaluate --engine tensorrt` (CPU variants: $VARIANTS, default all), then again with
#           --cuda-graph (in a copy), report.
#   scales  TensorRT's own EntropyCalibration2 through the bridge (--trt-scales tensorrt), twice in a
#           copy of RUN (run-to-run spread), each compared with the golden cache.
#   extras  in copies of RUN: int8 without the constants' cache entries (tensors without a scale
#           before/after), fp16 with --trt-precision-constraints obey (prefer if obey fails),
#           int8-qdq with kINT8 only (--no-trt-qdq-fp16) and at builder optimization level 3; fr
#           also the MinMax bridge (a --calibrator minmax run, --trt-scales tensorrt).
#           EXTRAS (default "no-constants fp16-obey qdq-int8-only qdq-level3 minmax") picks them.
#   xeval   evaluate the extras copies (GPU variants and the CPU int8 emulation only).
#   spread  int8-qdq rebuilt $SPREAD times (default 3) with kINT8|kFP16 and with kINT8 only ($SPREAD_MODES,
#           default "fp16 int8-only"), each
#           from an empty timing cache (tactics re-timed), each scored with ONNX Runtime's emulation:
#           TensorRT's own build-to-build spread next to the emulation it is compared with.
#   emulation  for RUN and its spread copies: PSNR of the int8-qdq engine's outputs against ONNX
#           Runtime's emulation of model.int8.onnx, next to both against fp32 (bench/tensorrt-emulation.ts).
#   record  the same, and the engine's outputs of RUN and every copy with a plan saved to
#           $RECORD/<copy>.gz (default runs/gpu/recordings) over $IMAGES (default the evaluation
#           photos): bring them back and compare any emulation with `tensorrt-emulation.js RUN
#           IMAGES --load FILE` on a machine without a GPU.
# DUMP=DIR (build phase): also the engine inspector's JSON and one line per layer of each plan.
# Needs TensorRT 10.6 + libcudart 12 (npm run tensorrt, or TENSORRT_LIB_DIR/LD_LIBRARY_PATH) and a
# built tree (npm ci). RUNS (default runs/gpu) holds the runs; the timing cache is kept in
# TIMING (default /tmp/int8cal-trt-<model>.timing-cache) so later builds reuse kernel timings.
set -euo pipefail
model=${1:?fr, det or e2e}; shift
root=$(cd "$(dirname "$0")/.." && pwd); cd "$root"
runs=${RUNS:-runs/gpu}; timing=${TIMING:-/tmp/int8cal-trt-$model.timing-cache}; iterations=${ITERATIONS:-200}
golden=${GOLDEN:-$(for d in .. ../.. ../../..; do [ -d "$d/shared/golden/tensorrt-10.6" ] && echo "$d/shared/golden/tensorrt-10.6" && break; done; true)}
cli() { node dist/src/cli/main.js "$@"; }
t() { local s rc=0; s=$(date +%s%N); "$@" || rc=$?; echo "  [$(( ($(date +%s%N) - s) / 1000000 )) ms, exit $rc] $*" >&2; return $rc; }
trt=(--engine tensorrt --trt-timing-cache "$timing")
case $model in
  fr)  run=$runs/fr; golden_cache=fr_detect.entropy2.cache; eval_data=datasets/samples/people/evaluation
       calibrate=(--model datasets/models/fr_detect.onnx --data datasets/samples/faces/calibration --size 320x240 --resize stretch --preset imagenet --mean 127 --std 128 --scale 1) ;;
  det) run=$runs/det; golden_cache=ppocr_det_640.entropy2.cache; eval_data=datasets/samples/text/evaluation
       calibrate=(--model datasets/models/ch_PP-OCRv4_det_infer.onnx --data datasets/samples/text/calibration --size 640x640 --resize stretch --preset imagenet --calibrator percentile --max-images 8) ;;
  e2e) nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
       rm -rf "$runs/e2e"
       t cli run --out "$runs/e2e" "${trt[@]}" --batch-size 1 --iterations "$iterations"
       node dist/bench/tensorrt-layers.js --build "$runs/e2e"; exit 0 ;;
  *) echo "model: fr, det or e2e" >&2; exit 2 ;;
esac
evaluate() { t cli evaluate --run "$1" --data "$eval_data" --engine tensorrt --batch-size 1 --iterations "$iterations" --quiet "${@:2}"; }
# DUMP set: the engine inspector's JSON and a line per layer of each plan of RUN ($2: only that one).
dump() {
  [ -n "${DUMP:-}" ] || return 0; mkdir -p "$DUMP"
  for p in "$1"/engine.${2:-*}.plan; do b=$(basename "$1")-$(basename "$p" .plan); node dist/bench/tensorrt-layers.js --dump "$p" "$DUMP/$b.json" > "$DUMP/$b.txt"; done
}
copy() { rm -rf "$run-$1"; cp -r "$run" "$run-$1"; echo "$run-$1"; }

for phase in "$@"; do
  echo "== $model $phase"
  case $phase in
    build)
      [ -f "$run/run.json" ] || t cli calibrate "${calibrate[@]}" --out "$run" --quiet
      t cli build --run "$run" "${trt[@]}" --trt-engines "${ENGINES:-fp32,fp16,int8,int8-qdq}" --quiet
      node dist/bench/tensorrt-layers.js --build "$run"; dump "$run" ;;
    eval)
      evaluate "$run" ${VARIANTS:+--variants "$VARIANTS"}
      graph=$(copy cuda-graph); evaluate "$graph" --cuda-graph --variants fp32
      node dist/bench/tensorrt-layers.js --results "$run" "$graph"
      t cli report --run "$run" ;;
    scales)
      for pass in 1 2; do
        c=$(copy trt-scales-$pass); t cli build --run "$c" "${trt[@]}" --trt-engines int8 --trt-scales tensorrt --quiet
      done
      node dist/bench/tensorrt-golden.js "$run-trt-scales-1/calibration.tensorrt.cache" "$run-trt-scales-2/calibration.tensorrt.cache"
      [ -n "$golden" ] && node dist/bench/tensorrt-golden.js "$golden/$golden_cache" "$run-trt-scales-1/calibration.tensorrt.cache" "$run-trt-scales-2/calibration.tensorrt.cache" ;;
    extras)
      has() { [[ " ${EXTRAS:-no-constants fp16-obey qdq-int8-only qdq-level3 minmax} " == *" $1 "* ]]; }
      if has no-constants; then
        c=$(copy no-constants); t cli build --run "$c" "${trt[@]}" --trt-engines int8 --no-trt-constant-scales --quiet
        node dist/bench/tensorrt-layers.js --build "$c"
      fi
      if has fp16-obey; then
        c=$(copy fp16-obey)
        t cli build --run "$c" "${trt[@]}" --trt-engines fp16 --trt-precision-constraints obey --quiet ||
          t cli build --run "$c" "${trt[@]}" --trt-engines fp16 --trt-precision-constraints prefer --quiet
        node dist/bench/tensorrt-layers.js --build "$c"; dump "$c" fp16
      fi
      if has qdq-int8-only; then
        c=$(copy qdq-int8-only); t cli build --run "$c" "${trt[@]}" --trt-engines int8-qdq --no-trt-qdq-fp16 --quiet
        node dist/bench/tensorrt-layers.js --build "$c"; dump "$c" int8-qdq
      fi
      if has qdq-level3; then
        c=$(copy qdq-level3); t cli build --run "$c" "${trt[@]}" --trt-engines int8-qdq --trt-optimization-level 3 --quiet
        node dist/bench/tensorrt-layers.js --build "$c"; dump "$c" int8-qdq
      fi
      if has minmax && [ "$model" = fr ]; then
        mm=$runs/fr-minmax; rm -rf "$mm"
        t cli calibrate "${calibrate[@]}" --calibrator minmax --out "$mm" --quiet
        t cli build --run "$mm" "${trt[@]}" --trt-engines int8 --trt-scales tensorrt --quiet
        node dist/bench/tensorrt-layers.js --build "$mm"
      fi ;;
    xeval)
      for c in "$run-fp16-obey" "$run-qdq-int8-only" "$run-qdq-level3"; do
        [ -d "$c" ] && evaluate "$c" --variants fp32,int8
      done
      [ "$model" = fr ] && [ -d "$runs/fr-minmax" ] && evaluate "$runs/fr-minmax" --variants fp32,int8
      node dist/bench/tensorrt-layers.js --results "$run" "$run"-fp16-obey "$run"-qdq-int8-only "$run"-qdq-level3 $([ "$model" = fr ] && echo "$runs/fr-minmax") ;;
    spread)
      for mode in ${SPREAD_MODES:-fp16 int8-only}; do
        for i in $(seq "${SPREAD:-3}"); do
          c=$(copy spread-$mode-$i); cache=/tmp/int8cal-spread-$model-$mode-$i.timing-cache; rm -f "$cache"
          flags=(); [ $mode = int8-only ] && flags=(--no-trt-qdq-fp16)
          t cli build --run "$c" --engine tensorrt --trt-timing-cache "$cache" --trt-engines int8-qdq "${flags[@]}" --quiet
          node dist/bench/tensorrt-layers.js --build "$c"
          evaluate "$c" --variants fp32,int8; node dist/bench/tensorrt-layers.js --results "$c"
        done
      done ;;
    emulation)
      for c in "$run" "$run"-spread-*; do
        [ -f "$c/engine.int8-qdq.plan" ] && node dist/bench/tensorrt-emulation.js "$c" "$eval_data"
      done ;;
    record)
      mkdir -p "${RECORD:=runs/gpu/recordings}"
      for c in "$run" "$run"-*; do
        [ -f "$c/engine.int8-qdq.plan" ] && node dist/bench/tensorrt-emulation.js "$c" "${IMAGES:-$eval_data}" --save "$RECORD/$(basename "$c").gz"
      done ;;
    *) echo "phase: build, eval, scales, extras, xeval, spread, emulation or record" >&2; exit 2 ;;
  esac
done
