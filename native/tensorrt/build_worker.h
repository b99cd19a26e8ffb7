// tensorrt.build(options, source?) → { promise, cancel }: builds one serialized engine from ONNX
// bytes on a worker thread (AsyncWorker). With an implicit-INT8 calibrator, getBatch asks
// `source()` (a JS function returning Promise<Float32Array | null>) through a ThreadSafeFunction.
#pragma once

#include <napi.h>

namespace int8cal {

Napi::Value BuildEngine(const Napi::CallbackInfo& info);

/** A JS Error with `code` set (TRT_NO_GPU, TRT_LIBRARIES, TRT_BUILD, …). */
Napi::Error codedError(Napi::Env env, const std::string& code, const std::string& message);

}  // namespace int8cal
