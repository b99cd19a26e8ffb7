// quantizationErrors: the expected int8 error of several candidate ranges on one linear
// histogram, on a worker thread (`--calibrator auto` scores six candidates per tensor).
#pragma once

#include <napi.h>

namespace int8cal {

/** quantizationErrors(counts: Float64Array, range: number, amaxes: Float64Array): Promise<{mse: Float64Array, meanSquare: number}> */
Napi::Value QuantizationErrors(const Napi::CallbackInfo& info);

}  // namespace int8cal
