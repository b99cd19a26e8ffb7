// Conversions shared by the wrappers. Argument checks here are cheap guards only: the
// TypeScript side (src/native.ts) validates properly before calling.
#pragma once

#include <napi.h>

#include <cstdint>
#include <vector>

#include "../core/value_histogram.h"

namespace int8cal {

/** The float32 data of a Float32Array argument; throws TypeError otherwise. */
Napi::TypedArrayOf<float> float32Arg(const Napi::Value& value, const char* name);

/** "exact" | "trt"; throws TypeError otherwise. */
HistogramMode modeArg(const Napi::Value& value);
const char* modeName(HistogramMode mode);

/** A finite number >= 0 (or the fallback when undefined); throws TypeError/RangeError. */
double amaxArg(const Napi::Value& value, double fallback);

Napi::Uint8Array toUint8Array(Napi::Env env, const std::vector<uint8_t>& bytes);
Napi::Float64Array toFloat64Array(Napi::Env env, const std::vector<double>& values);
Napi::Object statsToObject(Napi::Env env, const ValueHistogram& histogram);

}  // namespace int8cal
