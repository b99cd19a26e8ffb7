// releaseArrays(arrays): frees the memory of typed arrays nobody reads any more, now, by
// detaching their ArrayBuffers, instead of waiting for the garbage collector. Calibration's
// activations (hundreds of MiB per run on high-resolution models) otherwise stay resident until
// V8 collects them, which it may not do before ONNX Runtime's next run allocates as much again.
#pragma once

#include <napi.h>

namespace int8cal {

/** releaseArrays(arrays: Float32Array[]): number — bytes released (views of part of a buffer are skipped). */
Napi::Value ReleaseArrays(const Napi::CallbackInfo& info);

}  // namespace int8cal
