#pragma once

#include <napi.h>

namespace int8cal {

/** The `tensorrt` export: load(dirs), gpu(), build(options, source?), Engine. */
Napi::Object TensorRtExports(Napi::Env env);

}  // namespace int8cal
