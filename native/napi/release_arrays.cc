#include "release_arrays.h"

namespace int8cal {

Napi::Value ReleaseArrays(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "arrays must be an array");
  Napi::Array arrays = info[0].As<Napi::Array>();
  double released = 0;
  for (uint32_t i = 0; i < arrays.Length(); ++i) {
    Napi::Value value = arrays.Get(i);
    if (!value.IsTypedArray()) throw Napi::TypeError::New(env, "arrays[" + std::to_string(i) + "] must be a typed array");
    Napi::TypedArray array = value.As<Napi::TypedArray>();
    Napi::ArrayBuffer buffer = array.ArrayBuffer();
    // Only a view of a whole buffer: another view may share the rest of it.
    if (buffer.IsDetached() || array.ByteOffset() != 0 || array.ByteLength() != buffer.ByteLength()) continue;
    const size_t bytes = buffer.ByteLength();
    // Not detachable (e.g. WebAssembly memory): left to the garbage collector.
    if (napi_detach_arraybuffer(env, buffer) != napi_ok) continue;
    released += static_cast<double>(bytes);
  }
  return Napi::Number::New(env, released);
}

}  // namespace int8cal
