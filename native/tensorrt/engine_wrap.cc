#include "engine_wrap.h"

#include <cstring>

#include "build_worker.h"

namespace int8cal {

namespace {

using namespace nvinfer1;

size_t elementSize(DataType t) {
  switch (t) {
    case DataType::kFLOAT: case DataType::kINT32: return 4;
    case DataType::kINT64: return 8;
    case DataType::kHALF: case DataType::kBF16: return 2;
    default: return 1;
  }
}

const char* typeName(DataType t) {
  switch (t) {
    case DataType::kFLOAT: return "float32";
    case DataType::kINT32: return "int32";
    case DataType::kINT64: return "int64";
    case DataType::kHALF: return "float16";
    case DataType::kINT8: return "int8";
    case DataType::kBOOL: return "bool";
    case DataType::kUINT8: return "uint8";
    default: return "other";
  }
}

std::vector<int64_t> dimsOf(const Dims& d) { return std::vector<int64_t>(d.d, d.d + d.nbDims); }

Napi::Array dimsArray(Napi::Env env, const std::vector<int64_t>& dims) {
  auto a = Napi::Array::New(env, dims.size());
  for (size_t i = 0; i < dims.size(); ++i) a.Set(static_cast<uint32_t>(i), static_cast<double>(dims[i]));
  return a;
}

}  // namespace

Napi::Function EngineWrap::Define(Napi::Env env) {
  return DefineClass(env, "TensorRtEngine", {
      InstanceMethod("io", &EngineWrap::Io),
      InstanceMethod("run", &EngineWrap::Run),
      InstanceMethod("time", &EngineWrap::Time),
      InstanceMethod("layers", &EngineWrap::Layers),
      InstanceMethod("dispose", &EngineWrap::Dispose),
  });
}

EngineWrap::EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "new Engine(plan: Uint8Array)");
  auto plan = info[0].As<Napi::Uint8Array>();
  try {
    const LoadedLibraries& libs = libraries();
    requireGpu(libs);
    runtime_.reset(static_cast<IRuntime*>(libs.trt.createInferRuntime(&logger_, NV_TENSORRT_VERSION)));
    if (!runtime_) throw std::runtime_error("createInferRuntime failed: " + logger_.lastError());
    engine_.reset(runtime_->deserializeCudaEngine(plan.Data(), plan.ElementLength()));
    if (!engine_) throw std::runtime_error("TensorRT could not deserialize the plan: " + logger_.lastError());
    context_.reset(engine_->createExecutionContext());
    if (!context_) throw std::runtime_error("createExecutionContext failed: " + logger_.lastError());
    checkCuda(libs.cuda.streamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    for (int32_t i = 0; i < engine_->getNbIOTensors(); ++i) {
      const char* name = engine_->getIOTensorName(i);
      io_.push_back({name, engine_->getTensorIOMode(name) == TensorIOMode::kINPUT, engine_->getTensorDataType(name),
                     dimsOf(engine_->getTensorShape(name))});
    }
  } catch (const TrtUnavailable& e) {
    release();
    throw codedError(env, e.kind == TrtUnavailable::Kind::kGpu ? "TRT_NO_GPU" : "TRT_LIBRARIES", e.what());
  } catch (const std::exception& e) {
    release();
    throw codedError(env, "TRT_RUN", e.what());
  }
}

EngineWrap::~EngineWrap() { release(); }

void EngineWrap::release() {
  try {
    const auto& cuda = libraries().cuda;
    for (IoTensor& t : io_) if (t.device) cuda.free(t.device);
    io_.clear();
    context_.reset();
    engine_.reset();
    runtime_.reset();
    if (stream_) cuda.streamDestroy(stream_);
    stream_ = nullptr;
  } catch (...) {
  }
}

Napi::Value EngineWrap::Io(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto list = Napi::Array::New(env, io_.size());
  for (size_t i = 0; i < io_.size(); ++i) {
    Napi::Object t = Napi::Object::New(env);
    t.Set("name", io_[i].name);
    t.Set("input", io_[i].input);
    t.Set("type", typeName(io_[i].type));
    t.Set("dims", dimsArray(env, io_[i].dims));
    list.Set(static_cast<uint32_t>(i), t);
  }
  return list;
}

/** Sets input shapes, then (re)allocates every tensor's device buffer for the resolved shapes. */
void EngineWrap::bindShapes(const Napi::Object& shapes) {
  const auto& cuda = libraries().cuda;
  for (IoTensor& t : io_) {
    if (!t.input || !shapes.Has(t.name)) continue;
    auto a = shapes.Get(t.name).As<Napi::Array>();
    Dims d{};
    d.nbDims = static_cast<int32_t>(a.Length());
    for (uint32_t k = 0; k < a.Length(); ++k) d.d[k] = a.Get(k).As<Napi::Number>().Int64Value();
    if (!context_->setInputShape(t.name.c_str(), d)) throw std::runtime_error("setInputShape rejected the shape of " + t.name);
  }
  for (IoTensor& t : io_) {
    t.dims = dimsOf(context_->getTensorShape(t.name.c_str()));
    size_t bytes = elementSize(t.type);
    for (int64_t d : t.dims) bytes *= static_cast<size_t>(d < 0 ? 0 : d);
    if (bytes != t.bytes) {
      if (t.device) cuda.free(t.device);
      t.device = nullptr;
      checkCuda(cuda.malloc(&t.device, bytes ? bytes : 1), "cudaMalloc");
      t.bytes = bytes;
    }
    context_->setTensorAddress(t.name.c_str(), t.device);
  }
}

void EngineWrap::enqueue() {
  if (!context_->enqueueV3(stream_)) throw std::runtime_error("enqueueV3 failed: " + logger_.lastError());
}

// run(inputs: {name: TypedArray}, shapes: {name: number[]}) → {name: {type, dims, data: Uint8Array}}
Napi::Value EngineWrap::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!context_) throw Napi::Error::New(env, "the TensorRT engine was disposed");
  try {
    const auto& cuda = libraries().cuda;
    bindShapes(info[1].As<Napi::Object>());
    Napi::Object inputs = info[0].As<Napi::Object>();
    for (IoTensor& t : io_) {
      if (!t.input) continue;
      auto a = inputs.Get(t.name).As<Napi::TypedArray>();
      if (a.ByteLength() != t.bytes) throw std::runtime_error("input " + t.name + " has " + std::to_string(a.ByteLength()) + " bytes, the engine expects " + std::to_string(t.bytes));
      const auto* src = static_cast<const uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
      checkCuda(cuda.memcpyAsync(t.device, src, t.bytes, cudaMemcpyHostToDevice, stream_), "cudaMemcpyAsync (input)");
    }
    enqueue();
    Napi::Object out = Napi::Object::New(env);
    std::vector<std::pair<IoTensor*, Napi::Uint8Array>> pending;
    for (IoTensor& t : io_) {
      if (t.input) continue;
      auto bytes = Napi::Uint8Array::New(env, t.bytes);
      checkCuda(cuda.memcpyAsync(bytes.Data(), t.device, t.bytes, cudaMemcpyDeviceToHost, stream_), "cudaMemcpyAsync (output)");
      Napi::Object o = Napi::Object::New(env);
      o.Set("type", typeName(t.type));
      o.Set("dims", dimsArray(env, t.dims));
      o.Set("data", bytes);
      out.Set(t.name, o);
    }
    checkCuda(cuda.streamSynchronize(stream_), "cudaStreamSynchronize");
    return out;
  } catch (const std::exception& e) {
    throw codedError(env, "TRT_RUN", e.what());
  }
}

// time({warmup, iterations, cudaGraph}) → Float64Array of per-iteration GPU ms (CUDA events).
// Uses the buffers and shapes of the last run().
Napi::Value EngineWrap::Time(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!context_) throw Napi::Error::New(env, "the TensorRT engine was disposed");
  Napi::Object o = info[0].As<Napi::Object>();
  const int warmup = o.Get("warmup").As<Napi::Number>().Int32Value();
  const int iterations = o.Get("iterations").As<Napi::Number>().Int32Value();
  const bool graph = o.Has("cudaGraph") && o.Get("cudaGraph").ToBoolean().Value();
  auto times = Napi::Float64Array::New(env, iterations > 0 ? iterations : 0);
  const auto& cuda = libraries().cuda;
  cudaEvent_t start = nullptr, stop = nullptr;
  cudaGraph_t captured = nullptr;
  cudaGraphExec_t exec = nullptr;
  try {
    checkCuda(cuda.eventCreate(&start), "cudaEventCreate");
    checkCuda(cuda.eventCreate(&stop), "cudaEventCreate");
    for (int i = 0; i < warmup; ++i) enqueue();
    checkCuda(cuda.streamSynchronize(stream_), "cudaStreamSynchronize");
    if (graph) {
      checkCuda(cuda.streamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
      enqueue();
      checkCuda(cuda.streamEndCapture(stream_, &captured), "cudaStreamEndCapture");
      checkCuda(cuda.graphInstantiate(&exec, captured, 0), "cudaGraphInstantiate");
    }
    for (int i = 0; i < iterations; ++i) {
      checkCuda(cuda.eventRecord(start, stream_), "cudaEventRecord");
      if (graph) checkCuda(cuda.graphLaunch(exec, stream_), "cudaGraphLaunch"); else enqueue();
      checkCuda(cuda.eventRecord(stop, stream_), "cudaEventRecord");
      checkCuda(cuda.eventSynchronize(stop), "cudaEventSynchronize");
      float ms = 0;
      checkCuda(cuda.eventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
      times[i] = ms;
    }
  } catch (const std::exception& e) {
    if (exec) cuda.graphExecDestroy(exec);
    if (captured) cuda.graphDestroy(captured);
    if (start) cuda.eventDestroy(start);
    if (stop) cuda.eventDestroy(stop);
    throw codedError(env, "TRT_RUN", e.what());
  }
  if (exec) cuda.graphExecDestroy(exec);
  if (captured) cuda.graphDestroy(captured);
  cuda.eventDestroy(start);
  cuda.eventDestroy(stop);
  return times;
}

// layers() → the engine inspector's JSON (per layer: type, inputs/outputs with format and data
// type, tactic); names only unless the plan was built with ProfilingVerbosity::kDETAILED.
Napi::Value EngineWrap::Layers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!engine_) throw Napi::Error::New(env, "the TensorRT engine was disposed");
  std::unique_ptr<IEngineInspector> inspector(engine_->createEngineInspector());
  if (!inspector) throw codedError(env, "TRT_RUN", "createEngineInspector failed: " + logger_.lastError());
  inspector->setExecutionContext(context_.get());
  const char* json = inspector->getEngineInformation(LayerInformationFormat::kJSON);
  return Napi::String::New(env, json ? json : "");
}

void EngineWrap::Dispose(const Napi::CallbackInfo&) { release(); }

}  // namespace int8cal
