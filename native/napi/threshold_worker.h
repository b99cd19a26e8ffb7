// computeAmax / computeAmaxSync: threshold searches on a linear histogram. The async form copies
// the counts and searches on a worker thread; the sync form is for tests and benchmarks (an
// entropy search on 2048 bins takes well under a millisecond, MSE a few milliseconds).
#pragma once

#include <napi.h>

namespace int8cal {

/** computeAmax(counts: Float64Array, amax: number, method: string, param: number): Promise<{amax, bin}> */
Napi::Value ComputeAmax(const Napi::CallbackInfo& info);
/** computeAmaxSync(counts, amax, method, param): {amax, bin} — blocks the JS thread. */
Napi::Value ComputeAmaxSync(const Napi::CallbackInfo& info);

}  // namespace int8cal
