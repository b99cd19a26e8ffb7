#include "build_worker.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "batch_handoff.h"
#include "calibrator.h"
#include "logger.h"
#include "trt_library.h"

namespace int8cal {

namespace {

using namespace nvinfer1;

enum class Mode { kFp32, kFp16, kInt8, kInt8Qdq };

struct BuildRequest {
  std::vector<uint8_t> model;
  Mode mode = Mode::kFp32;
  std::string calibrator = "entropy2";
  int optimizationLevel = 1;
  std::vector<uint8_t> timingCache, calibrationCache;
  std::vector<int64_t> inputShape;  // for dynamic dims; batch 1
  int64_t batchTimeoutMs = 60000;
  std::string precisionConstraints = "none";  // fp16: none, prefer or obey
  bool fp16 = true;                           // int8/int8-qdq: also allow fp16 (kFP16)
};

struct BuildOutput {
  std::vector<uint8_t> plan, timingCache;
  CalibrationTrace trace;
  bool calibrated = false;
  double buildMs = 0;
  int32_t constrainedLayers = -1;  // fp16 layers asked for with precision constraints; -1: none asked
};

std::vector<uint8_t> bytesArg(const Napi::Value& v) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) return {};
  auto a = v.As<Napi::Uint8Array>();
  return {a.Data(), a.Data() + a.ElementLength()};
}

BuildRequest parseRequest(const Napi::Object& o) {
  BuildRequest r;
  r.model = bytesArg(o.Get("model"));
  const std::string mode = o.Get("mode").ToString().Utf8Value();
  r.mode = mode == "fp16" ? Mode::kFp16 : mode == "int8" ? Mode::kInt8 : mode == "int8-qdq" ? Mode::kInt8Qdq : Mode::kFp32;
  if (o.Has("calibrator") && o.Get("calibrator").IsString()) r.calibrator = o.Get("calibrator").As<Napi::String>().Utf8Value();
  if (o.Get("optimizationLevel").IsNumber()) r.optimizationLevel = o.Get("optimizationLevel").As<Napi::Number>().Int32Value();
  if (o.Get("batchTimeoutMs").IsNumber()) r.batchTimeoutMs = o.Get("batchTimeoutMs").As<Napi::Number>().Int64Value();
  if (o.Get("fp16").IsBoolean()) r.fp16 = o.Get("fp16").As<Napi::Boolean>().Value();
  if (o.Get("precisionConstraints").IsString()) r.precisionConstraints = o.Get("precisionConstraints").As<Napi::String>().Utf8Value();
  r.timingCache = bytesArg(o.Get("timingCache"));
  r.calibrationCache = bytesArg(o.Get("calibrationCache"));
  if (o.Get("inputShape").IsArray()) {
    auto a = o.Get("inputShape").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) r.inputShape.push_back(a.Get(i).As<Napi::Number>().Int64Value());
  }
  return r;
}

struct Failure : std::runtime_error {
  Failure(std::string c, const std::string& m) : std::runtime_error(m), code(std::move(c)) {}
  std::string code;
};

Dims toDims(const std::vector<int64_t>& shape) {
  Dims d{};
  d.nbDims = static_cast<int32_t>(shape.size());
  for (size_t i = 0; i < shape.size() && i < Dims::MAX_DIMS; ++i) d.d[i] = shape[i];
  return d;
}

/** A profile pinning every dynamic input to the run's shape; nullptr when all dims are static. */
IOptimizationProfile* pinnedProfile(IBuilder& builder, INetworkDefinition& network, const std::vector<int64_t>& shape) {
  IOptimizationProfile* profile = nullptr;
  for (int32_t i = 0; i < network.getNbInputs(); ++i) {
    ITensor* input = network.getInput(i);
    const Dims dims = input->getDimensions();
    bool dynamic = false;
    for (int32_t k = 0; k < dims.nbDims; ++k) dynamic = dynamic || dims.d[k] < 0;
    if (!dynamic) continue;
    if (static_cast<int32_t>(shape.size()) != dims.nbDims) {
      throw Failure("TRT_BUILD", std::string("input ") + input->getName() + " has dynamic dims and no matching input shape was given");
    }
    if (!profile) profile = builder.createOptimizationProfile();
    for (auto sel : {OptProfileSelector::kMIN, OptProfileSelector::kOPT, OptProfileSelector::kMAX}) {
      profile->setDimensions(input->getName(), sel, toDims(shape));
    }
  }
  return profile;
}

bool allFloat(ITensor* const* tensors, int32_t n) {
  for (int32_t i = 0; i < n; ++i) if (tensors[i] && tensors[i]->getType() != DataType::kFLOAT) return false;
  return n > 0;
}

/**
 * fp16 with precision constraints: every layer computing on float tensors (not constants or
 * shape layers) is asked to run in fp16; network outputs keep their float type. Returns the count.
 */
int32_t constrainToHalf(INetworkDefinition& network) {
  int32_t constrained = 0;
  for (int32_t i = 0; i < network.getNbLayers(); ++i) {
    ILayer* layer = network.getLayer(i);
    const LayerType type = layer->getType();
    if (type == LayerType::kCONSTANT || type == LayerType::kSHAPE) continue;
    std::vector<ITensor*> in, out;
    for (int32_t k = 0; k < layer->getNbInputs(); ++k) in.push_back(layer->getInput(k));
    for (int32_t k = 0; k < layer->getNbOutputs(); ++k) out.push_back(layer->getOutput(k));
    if (!allFloat(in.data(), static_cast<int32_t>(in.size())) || !allFloat(out.data(), static_cast<int32_t>(out.size()))) continue;
    layer->setPrecision(DataType::kHALF);
    ++constrained;
  }
  return constrained;
}

size_t elementsOf(const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d > 0 ? d : 1);
  return n;
}

class BuildWorker : public Napi::AsyncWorker {
 public:
  BuildWorker(Napi::Env env, BuildRequest request, std::shared_ptr<BatchHandOff> handOff, Napi::ThreadSafeFunction tsfn)
      : Napi::AsyncWorker(env, "int8cal:tensorrt-build"), deferred_(Napi::Promise::Deferred::New(env)),
        request_(std::move(request)), handOff_(std::move(handOff)), tsfn_(std::move(tsfn)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      const auto start = std::chrono::steady_clock::now();
      build();
      out_.buildMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    } catch (const TrtUnavailable& e) {
      fail(e.kind == TrtUnavailable::Kind::kGpu ? "TRT_NO_GPU" : "TRT_LIBRARIES", e.what());
    } catch (const Failure& e) {
      fail(e.code, e.what());
    } catch (const std::exception& e) {  // TensorRT throws across its API (nvinfer1::APIUsageError…)
      fail("TRT_BUILD", std::string("TensorRT failed: ") + e.what());
    } catch (...) {
      fail("TRT_BUILD", "TensorRT failed with an unknown C++ exception");
    }
  }

  void OnOK() override {
    releaseSource();
    Napi::Env env = Env();
    Napi::Object result = Napi::Object::New(env);
    result.Set("plan", toBytes(env, out_.plan));
    result.Set("timingCache", toBytes(env, out_.timingCache));
    result.Set("buildMs", out_.buildMs);
    result.Set("warnings", toStrings(env, logger_.warnings()));
    if (out_.constrainedLayers >= 0) result.Set("constrainedLayers", out_.constrainedLayers);
    if (out_.calibrated) {
      Napi::Object c = Napi::Object::New(env);
      c.Set("getBatchCalls", static_cast<double>(out_.trace.getBatchCalls));
      c.Set("batches", static_cast<double>(out_.trace.batches));
      c.Set("cache", out_.trace.writtenCache.empty() ? env.Null() : Napi::Value(toBytes(env, out_.trace.writtenCache)));
      result.Set("calibration", c);
    }
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error&) override {
    releaseSource();
    Napi::Error error = codedError(Env(), code_, message_);
    error.Set("warnings", toStrings(Env(), logger_.warnings()));
    error.Set("errors", toStrings(Env(), logger_.errors()));
    deferred_.Reject(error.Value());
  }

 private:
  void fail(const std::string& code, const std::string& message) {
    code_ = code;
    message_ = message;
    SetError(message);
  }

  void releaseSource() {
    if (tsfn_) tsfn_.Release();
    tsfn_ = Napi::ThreadSafeFunction();
  }

  void build() {
    const LoadedLibraries& libs = libraries();
    requireGpu(libs);
    std::unique_ptr<IBuilder> builder(static_cast<IBuilder*>(libs.trt.createInferBuilder(&logger_, NV_TENSORRT_VERSION)));
    if (!builder) throw Failure("TRT_BUILD", "createInferBuilder failed: " + logger_.lastError());
    std::unique_ptr<INetworkDefinition> network(builder->createNetworkV2(0));
    std::unique_ptr<nvonnxparser::IParser> parser(static_cast<nvonnxparser::IParser*>(
        libs.trt.createOnnxParser(network.get(), &logger_, NV_ONNX_PARSER_VERSION)));
    if (!parser->parse(request_.model.data(), request_.model.size())) {
      std::string why;
      for (int32_t i = 0; i < parser->getNbErrors(); ++i) why += std::string("\n  ") + parser->getError(i)->desc();
      throw Failure("TRT_PARSE", "TensorRT's ONNX parser rejected the model:" + why);
    }
    std::unique_ptr<IBuilderConfig> config(builder->createBuilderConfig());
    config->setBuilderOptimizationLevel(request_.optimizationLevel);
    // Detailed layer information in the plan: the engine inspector then reports each layer's precision.
    config->setProfilingVerbosity(ProfilingVerbosity::kDETAILED);
    if (request_.mode == Mode::kFp16 && request_.precisionConstraints != "none") {
      config->setFlag(request_.precisionConstraints == "obey" ? BuilderFlag::kOBEY_PRECISION_CONSTRAINTS : BuilderFlag::kPREFER_PRECISION_CONSTRAINTS);
      out_.constrainedLayers = constrainToHalf(*network);
    }
    if (request_.mode == Mode::kFp16 || (request_.mode != Mode::kFp32 && request_.fp16)) config->setFlag(BuilderFlag::kFP16);
    if (request_.mode == Mode::kInt8 || request_.mode == Mode::kInt8Qdq) config->setFlag(BuilderFlag::kINT8);
    IOptimizationProfile* profile = pinnedProfile(*builder, *network, request_.inputShape);
    if (profile) config->addOptimizationProfile(profile);
    std::unique_ptr<ITimingCache> timing(config->createTimingCache(request_.timingCache.data(), request_.timingCache.size()));
    if (timing) config->setTimingCache(*timing, false);

    std::unique_ptr<IInt8Calibrator> calibrator;
    const CalibrationTrace* trace = nullptr;
    if (request_.mode == Mode::kInt8) {
      const size_t elements = elementsOf(request_.inputShape.empty() ? std::vector<int64_t>{} : request_.inputShape);
      const std::chrono::milliseconds timeout(request_.batchTimeoutMs);
      if (request_.calibrator == "minmax") {
        auto c = std::make_unique<MinMaxBridge>(handOff_, elements, request_.calibrationCache, timeout);
        trace = &c->trace();
        calibrator = std::move(c);
      } else {
        auto c = std::make_unique<EntropyBridge>(handOff_, elements, request_.calibrationCache, timeout);
        trace = &c->trace();
        calibrator = std::move(c);
      }
      config->setInt8Calibrator(calibrator.get());
      if (profile) config->setCalibrationProfile(profile);
    }
    std::unique_ptr<IHostMemory> plan(builder->buildSerializedNetwork(*network, *config));
    if (trace) {
      out_.calibrated = true;
      out_.trace = *trace;
      if (trace->finalStatus == HandOffStatus::kCancelled) throw Failure("TRT_CANCELLED", "calibration was interrupted: " + trace->message);
      if (trace->finalStatus == HandOffStatus::kTimeout) throw Failure("TRT_CALIBRATION", "calibration batch source timed out: " + trace->message);
      if (trace->finalStatus == HandOffStatus::kError && trace->getBatchCalls > 0 && request_.calibrationCache.empty()) {
        throw Failure("TRT_CALIBRATION", "calibration batch source failed: " + trace->message);
      }
    }
    if (!plan || plan->size() == 0) throw Failure("TRT_BUILD", "TensorRT could not build the engine: " + logger_.lastError());
    const auto* p = static_cast<const uint8_t*>(plan->data());
    out_.plan.assign(p, p + plan->size());
    if (const ITimingCache* used = config->getTimingCache()) {
      std::unique_ptr<IHostMemory> blob(used->serialize());
      if (blob) out_.timingCache.assign(static_cast<const uint8_t*>(blob->data()), static_cast<const uint8_t*>(blob->data()) + blob->size());
    }
  }

  static Napi::Uint8Array toBytes(Napi::Env env, const std::vector<uint8_t>& bytes) {
    auto a = Napi::Uint8Array::New(env, bytes.size());
    if (!bytes.empty()) std::memcpy(a.Data(), bytes.data(), bytes.size());
    return a;
  }
  static Napi::Array toStrings(Napi::Env env, const std::vector<std::string>& lines) {
    auto a = Napi::Array::New(env, lines.size());
    for (size_t i = 0; i < lines.size(); ++i) a.Set(static_cast<uint32_t>(i), lines[i]);
    return a;
  }

  Napi::Promise::Deferred deferred_;
  BuildRequest request_;
  std::shared_ptr<BatchHandOff> handOff_;
  Napi::ThreadSafeFunction tsfn_;
  CollectingLogger logger_;
  BuildOutput out_;
  std::string code_ = "TRT_BUILD", message_;
};

/** On the JS thread: call source(), wire its promise to the hand-off. */
void callSource(Napi::Env env, Napi::Function source, std::shared_ptr<BatchHandOff> handOff) {
  try {
    Napi::Value result = source.Call({});
    if (!result.IsPromise()) return handOff->fail("the batch source must return a Promise");
    Napi::Object promise = result.As<Napi::Object>();
    auto onBatch = Napi::Function::New(env, [handOff](const Napi::CallbackInfo& info) {
      Napi::Value v = info[0];
      if (v.IsNull() || v.IsUndefined()) return handOff->end();
      if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
        return handOff->fail("the batch source must resolve to a Float32Array or null");
      }
      auto a = v.As<Napi::Float32Array>();
      if (!handOff->deliver(std::vector<float>(a.Data(), a.Data() + a.ElementLength()))) handOff->fail("a batch arrived after the hand-off closed");
    });
    auto onError = Napi::Function::New(env, [handOff](const Napi::CallbackInfo& info) {
      Napi::Value e = info[0];
      handOff->fail(e.IsObject() ? e.As<Napi::Object>().Get("message").ToString().Utf8Value() : e.ToString().Utf8Value());
    });
    promise.Get("then").As<Napi::Function>().Call(promise, {onBatch, onError});
  } catch (const Napi::Error& e) {
    handOff->fail(e.Message());
  }
}

}  // namespace

Napi::Error codedError(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", code);
  return error;
}

Napi::Value BuildEngine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "build(options, source?) needs an options object");
  libraries();  // throws unless load() succeeded
  BuildRequest request = parseRequest(info[0].As<Napi::Object>());
  Napi::ThreadSafeFunction tsfn;
  if (info[1].IsFunction()) {
    tsfn = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "int8cal getBatch", 0, 1);
  }
  // The request callback runs on the builder thread; the hand-off owns no N-API object.
  auto tsfnPtr = std::make_shared<Napi::ThreadSafeFunction>(tsfn);
  auto shared = std::make_shared<std::weak_ptr<BatchHandOff>>();
  auto handOff = std::make_shared<BatchHandOff>(2, [tsfnPtr, shared]() {
    if (!*tsfnPtr) return false;
    auto self = shared->lock();
    if (!self) return false;
    return tsfnPtr->NonBlockingCall([self](Napi::Env e, Napi::Function js) { callSource(e, js, self); }) == napi_ok;
  });
  *shared = handOff;
  auto* worker = new BuildWorker(env, std::move(request), handOff, tsfn);
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("promise", worker->promise());
  handle.Set("cancel", Napi::Function::New(env, [handOff](const Napi::CallbackInfo& i) {
    handOff->cancel(i[0].IsString() ? i[0].As<Napi::String>().Utf8Value() : "cancelled");
  }));
  worker->Queue();
  return handle;
}

}  // namespace int8cal
