#include "common.h"

#include <cmath>
#include <cstring>
#include <string>

namespace int8cal {

Napi::TypedArrayOf<float> float32Arg(const Napi::Value& value, const char* name) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(value.Env(), std::string(name) + " must be a Float32Array");
  }
  return value.As<Napi::TypedArrayOf<float>>();
}

HistogramMode modeArg(const Napi::Value& value) {
  if (value.IsString()) {
    const std::string mode = value.As<Napi::String>().Utf8Value();
    if (mode == "exact") return HistogramMode::kExact;
    if (mode == "trt") return HistogramMode::kTrt;
  }
  throw Napi::TypeError::New(value.Env(), "mode must be \"exact\" or \"trt\"");
}

const char* modeName(HistogramMode mode) { return mode == HistogramMode::kTrt ? "trt" : "exact"; }

double amaxArg(const Napi::Value& value, double fallback) {
  if (value.IsUndefined()) return fallback;
  if (!value.IsNumber()) throw Napi::TypeError::New(value.Env(), "amax must be a number");
  const double amax = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(amax) || amax < 0) throw Napi::RangeError::New(value.Env(), "amax must be finite and >= 0");
  return amax;
}

Napi::Uint8Array toUint8Array(Napi::Env env, const std::vector<uint8_t>& bytes) {
  Napi::Uint8Array out = Napi::Uint8Array::New(env, bytes.size());
  if (!bytes.empty()) std::memcpy(out.Data(), bytes.data(), bytes.size());
  return out;
}

Napi::Float64Array toFloat64Array(Napi::Env env, const std::vector<double>& values) {
  Napi::Float64Array out = Napi::Float64Array::New(env, values.size());
  if (!values.empty()) std::memcpy(out.Data(), values.data(), values.size() * sizeof(double));
  return out;
}

Napi::Object statsToObject(Napi::Env env, const ValueHistogram& histogram) {
  const ValueStats& s = histogram.stats();
  Napi::Object out = Napi::Object::New(env);
  out.Set("mode", modeName(histogram.mode()));
  out.Set("count", static_cast<double>(s.total));
  out.Set("nanCount", static_cast<double>(s.nan));
  out.Set("infCount", static_cast<double>(s.inf));
  out.Set("zeroCount", static_cast<double>(s.zeros));
  out.Set("absmax", s.absmax());
  out.Set("min", s.negativeMaxBits ? -valueOfBits(s.negativeMaxBits) : 0.0);  // never -0
  out.Set("max", valueOfBits(s.positiveMaxBits));
  out.Set("range", histogram.defaultAmax());
  return out;
}

}  // namespace int8cal
