#include "addon_tensorrt.h"

#include <string>
#include <vector>

#include "build_worker.h"
#include "engine_wrap.h"
#include "trt_library.h"

namespace int8cal {

namespace {

std::string dotted(int32_t v) {
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

std::string cudaDotted(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

// load(dirs: string[]) → versions and paths; throws {code: TRT_LIBRARIES | TRT_VERSION}.
Napi::Value Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::string> dirs;
  if (info[0].IsArray()) {
    auto a = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) dirs.push_back(a.Get(i).ToString().Utf8Value());
  }
  try {
    const LoadedLibraries& libs = loadLibraries(dirs);
    Napi::Object r = Napi::Object::New(env);
    r.Set("version", dotted(libs.trt.getInferLibVersion()));
    r.Set("libVersion", libs.trt.getInferLibVersion());
    r.Set("headerVersion", dotted(NV_TENSORRT_MAJOR * 10000 + NV_TENSORRT_MINOR * 100 + NV_TENSORRT_PATCH));
    r.Set("onnxParserVersion", libs.trt.getOnnxParserVersion());
    int runtime = 0;
    libs.cuda.runtimeGetVersion(&runtime);
    r.Set("cudaRuntime", cudaDotted(runtime));
    r.Set("nvinfer", libs.nvinfer);
    r.Set("onnxparser", libs.onnxparser);
    r.Set("cudart", libs.cudart);
    r.Set("builderResource", libs.builderResource.empty() ? env.Null() : Napi::Value(Napi::String::New(env, libs.builderResource)));
    return r;
  } catch (const TrtUnavailable& e) {
    throw codedError(env, e.kind == TrtUnavailable::Kind::kVersion ? "TRT_VERSION" : "TRT_LIBRARIES", e.what());
  }
}

// gpu() → {name, computeCapability, memoryBytes, driver, count}; throws {code: TRT_NO_GPU}.
Napi::Value Gpu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    const LoadedLibraries& libs = libraries();
    requireGpu(libs);
    int count = 0, driver = 0;
    libs.cuda.getDeviceCount(&count);
    libs.cuda.driverGetVersion(&driver);
    cudaDeviceProp prop{};
    checkCuda(libs.cuda.getDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
    Napi::Object r = Napi::Object::New(env);
    r.Set("name", std::string(prop.name));
    r.Set("computeCapability", std::to_string(prop.major) + "." + std::to_string(prop.minor));
    r.Set("memoryBytes", static_cast<double>(prop.totalGlobalMem));
    r.Set("cudaDriver", cudaDotted(driver));
    r.Set("count", count);
    return r;
  } catch (const TrtUnavailable& e) {
    throw codedError(env, "TRT_NO_GPU", e.what());
  } catch (const std::logic_error& e) {
    throw codedError(env, "TRT_LIBRARIES", e.what());
  }
}

}  // namespace

Napi::Object TensorRtExports(Napi::Env env) {
  Napi::Object t = Napi::Object::New(env);
  t.Set("load", Napi::Function::New(env, Load, "load"));
  t.Set("gpu", Napi::Function::New(env, Gpu, "gpu"));
  t.Set("build", Napi::Function::New(env, BuildEngine, "build"));
  t.Set("Engine", EngineWrap::Define(env));
  t.Set("headerMajor", NV_TENSORRT_MAJOR);
  return t;
}

}  // namespace int8cal
