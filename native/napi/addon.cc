// Registers the addon's exports; src/native.ts declares exactly this surface.
#include <napi.h>

#include "../core/cpu_features.h"
#include "../core/histogram.h"
#include "../core/thresholds.h"
#include "../core/trt_histogram.h"
#include "../core/value_histogram.h"
#include "accumulate_worker.h"
#include "histogram_wrap.h"
#include "quant_error_worker.h"
#include "release_arrays.h"
#include "threshold_worker.h"
#ifdef INT8CAL_TENSORRT
#include "../tensorrt/addon_tensorrt.h"
#endif

namespace int8cal {

static Napi::Value CpuFeaturesValue(const Napi::CallbackInfo& info) {
  const CpuFeatures f = DetectCpuFeatures();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("x86", f.x86);
  out.Set("avx2", f.avx2);
  out.Set("avxVnni", f.avxVnni);
  out.Set("avx512Core", f.avx512Core);
  out.Set("avx512Vnni", f.avx512Vnni);
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Histogram", HistogramWrap::Define(env));
  exports.Set("deserializeHistogram", Napi::Function::New(env, HistogramWrap::Deserialize, "deserializeHistogram"));
  exports.Set("accumulateMany", Napi::Function::New(env, AccumulateWorker::AccumulateMany, "accumulateMany"));
  exports.Set("computeAmax", Napi::Function::New(env, ComputeAmax, "computeAmax"));
  exports.Set("quantizationErrors", Napi::Function::New(env, QuantizationErrors, "quantizationErrors"));
  exports.Set("releaseArrays", Napi::Function::New(env, ReleaseArrays, "releaseArrays"));
  exports.Set("computeAmaxSync", Napi::Function::New(env, ComputeAmaxSync, "computeAmaxSync"));
  exports.Set("cpuFeatures", Napi::Function::New(env, CpuFeaturesValue, "cpuFeatures"));
  Napi::Object constants = Napi::Object::New(env);
  constants.Set("blobVersion", static_cast<double>(kBlobVersion));
  constants.Set("subBinBits", static_cast<double>(ExactHistogram::kSubBinBits));
  constants.Set("trtBins", static_cast<double>(TrtHistogram::kBins));
  constants.Set("startBin", static_cast<double>(kStartBin));
  exports.Set("constants", constants);
#ifdef INT8CAL_TENSORRT
  exports.Set("tensorrt", TensorRtExports(env));
#endif
  return exports;
}

}  // namespace int8cal

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return int8cal::Init(env, exports); }

NODE_API_MODULE(int8cal_native, InitAddon)
