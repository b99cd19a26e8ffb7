// tensorrt.Engine: a deserialized plan with its execution context, device buffers and a
// non-default CUDA stream. run() copies inputs in and outputs out; time() measures enqueueV3
// (or a captured CUDA graph) with CUDA events. Engines run in well under a millisecond here, so
// both run on the calling thread.
#pragma once

#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "logger.h"
#include "trt_library.h"

namespace int8cal {

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit EngineWrap(const Napi::CallbackInfo& info);
  ~EngineWrap() override;

 private:
  struct IoTensor {
    std::string name;
    bool input;
    nvinfer1::DataType type;
    std::vector<int64_t> dims;
    void* device = nullptr;
    size_t bytes = 0;
  };

  Napi::Value Io(const Napi::CallbackInfo& info);
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value Time(const Napi::CallbackInfo& info);
  Napi::Value Layers(const Napi::CallbackInfo& info);
  void Dispose(const Napi::CallbackInfo& info);
  void release();
  void bindShapes(const Napi::Object& shapes);
  void enqueue();

  CollectingLogger logger_;
  std::unique_ptr<nvinfer1::IRuntime> runtime_;
  std::unique_ptr<nvinfer1::ICudaEngine> engine_;
  std::unique_ptr<nvinfer1::IExecutionContext> context_;
  std::vector<IoTensor> io_;
  cudaStream_t stream_ = nullptr;
};

}  // namespace int8cal
