// TensorRT, its ONNX parser and the CUDA runtime, dlopened at first use so the addon builds and
// loads on machines without them. Compiled only when TensorRT ≤ 10 headers were found.
#pragma once

#include <NvInfer.h>
#include <NvOnnxParser.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#if NV_TENSORRT_MAJOR >= 11
#error "int8cal's calibrator bridge needs TensorRT <= 10 headers (TensorRT 11 has no IInt8Calibrator)"
#endif

namespace int8cal {

/** TensorRT or CUDA is absent, or there is no usable GPU: the message is for the user. */
struct TrtUnavailable : std::runtime_error {
  enum class Kind { kLibraries, kGpu, kVersion };
  TrtUnavailable(Kind k, const std::string& message) : std::runtime_error(message), kind(k) {}
  Kind kind;
};

struct CudaApi {
  decltype(&cudaGetDeviceCount) getDeviceCount;
  decltype(&cudaGetErrorString) getErrorString;
  decltype(&cudaDriverGetVersion) driverGetVersion;
  decltype(&cudaRuntimeGetVersion) runtimeGetVersion;
  decltype(&cudaGetDeviceProperties_v2) getDeviceProperties;
  decltype(&cudaMalloc) malloc;
  decltype(&cudaFree) free;
  decltype(&cudaMemcpy) memcpy;
  decltype(&cudaMemcpyAsync) memcpyAsync;
  decltype(&cudaStreamCreateWithFlags) streamCreateWithFlags;
  decltype(&cudaStreamDestroy) streamDestroy;
  decltype(&cudaStreamSynchronize) streamSynchronize;
  decltype(&cudaEventCreate) eventCreate;
  decltype(&cudaEventDestroy) eventDestroy;
  decltype(&cudaEventRecord) eventRecord;
  decltype(&cudaEventSynchronize) eventSynchronize;
  decltype(&cudaEventElapsedTime) eventElapsedTime;
  decltype(&cudaStreamBeginCapture) streamBeginCapture;
  decltype(&cudaStreamEndCapture) streamEndCapture;
  decltype(&cudaGraphInstantiate) graphInstantiate;
  decltype(&cudaGraphLaunch) graphLaunch;
  decltype(&cudaGraphDestroy) graphDestroy;
  decltype(&cudaGraphExecDestroy) graphExecDestroy;
};

struct TrtApi {
  int32_t (*getInferLibVersion)();
  void* (*createInferBuilder)(void* logger, int32_t version);
  void* (*createInferRuntime)(void* logger, int32_t version);
  void* (*createOnnxParser)(void* network, void* logger, int version);
  int (*getOnnxParserVersion)();
};

struct LoadedLibraries {
  CudaApi cuda;
  TrtApi trt;
  std::string nvinfer, onnxparser, cudart;  // paths (or sonames) that loaded
  std::string builderResource;              // path preloaded, or "" when not found
};

/**
 * Loads the libraries once, trying each directory in `dirs` and then the plain soname (the
 * loader's own search: LD_LIBRARY_PATH, ldconfig). Throws TrtUnavailable(kLibraries) naming every
 * place it looked, or kVersion when libnvinfer is not 10.x.
 */
const LoadedLibraries& loadLibraries(const std::vector<std::string>& dirs);

/** The libraries loaded by an earlier loadLibraries; throws std::logic_error otherwise. */
const LoadedLibraries& libraries();

/** Throws TrtUnavailable(kGpu) "TensorRT needs an NVIDIA GPU and driver: …" without a device. */
void requireGpu(const LoadedLibraries& libs);

/** Throws std::runtime_error "<what>: <CUDA error string>" when `status` is not cudaSuccess. */
void checkCuda(cudaError_t status, const char* what);


}  // namespace int8cal
