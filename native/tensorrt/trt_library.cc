#include "trt_library.h"

#include <dlfcn.h>

#include <memory>
#include <mutex>

namespace int8cal {

namespace {

std::mutex loadMutex;
std::unique_ptr<LoadedLibraries> loaded;

/** dlopens `soname` from the first dir that has it, else by soname; records every failure. */
void* openFrom(const std::vector<std::string>& dirs, const std::string& soname, std::string& where,
               std::vector<std::string>& tried) {
  for (const std::string& dir : dirs) {
    const std::string path = dir + "/" + soname;
    if (void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL)) {
      where = path;
      return handle;
    }
    tried.push_back("  " + path + ": " + dlerror());
  }
  if (void* handle = dlopen(soname.c_str(), RTLD_NOW | RTLD_GLOBAL)) {
    where = soname;
    return handle;
  }
  tried.push_back("  " + soname + " (LD_LIBRARY_PATH, ldconfig): " + dlerror());
  return nullptr;
}

template <typename F>
void bind(void* handle, const char* name, F& slot, std::vector<std::string>& missing) {
  slot = reinterpret_cast<F>(dlsym(handle, name));
  if (!slot) missing.push_back(name);
}

void bindCuda(void* h, CudaApi& c, std::vector<std::string>& m) {
  bind(h, "cudaGetDeviceCount", c.getDeviceCount, m);
  bind(h, "cudaGetErrorString", c.getErrorString, m);
  bind(h, "cudaDriverGetVersion", c.driverGetVersion, m);
  bind(h, "cudaRuntimeGetVersion", c.runtimeGetVersion, m);
  bind(h, "cudaGetDeviceProperties_v2", c.getDeviceProperties, m);
  bind(h, "cudaMalloc", c.malloc, m);
  bind(h, "cudaFree", c.free, m);
  bind(h, "cudaMemcpy", c.memcpy, m);
  bind(h, "cudaMemcpyAsync", c.memcpyAsync, m);
  bind(h, "cudaStreamCreateWithFlags", c.streamCreateWithFlags, m);
  bind(h, "cudaStreamDestroy", c.streamDestroy, m);
  bind(h, "cudaStreamSynchronize", c.streamSynchronize, m);
  bind(h, "cudaEventCreate", c.eventCreate, m);
  bind(h, "cudaEventDestroy", c.eventDestroy, m);
  bind(h, "cudaEventRecord", c.eventRecord, m);
  bind(h, "cudaEventSynchronize", c.eventSynchronize, m);
  bind(h, "cudaEventElapsedTime", c.eventElapsedTime, m);
  bind(h, "cudaStreamBeginCapture", c.streamBeginCapture, m);
  bind(h, "cudaStreamEndCapture", c.streamEndCapture, m);
  bind(h, "cudaGraphInstantiate", c.graphInstantiate, m);
  bind(h, "cudaGraphLaunch", c.graphLaunch, m);
  bind(h, "cudaGraphDestroy", c.graphDestroy, m);
  bind(h, "cudaGraphExecDestroy", c.graphExecDestroy, m);
}

std::string joined(const std::vector<std::string>& lines, const char* sep) {
  std::string out;
  for (const std::string& line : lines) out += (out.empty() ? "" : sep) + line;
  return out;
}

}  // namespace

const LoadedLibraries& loadLibraries(const std::vector<std::string>& dirs) {
  std::lock_guard<std::mutex> lock(loadMutex);
  if (loaded) return *loaded;
  auto libs = std::make_unique<LoadedLibraries>();
  std::vector<std::string> tried, missing;
  // libcudart first: libnvinfer dlopens it by soname and then finds this one.
  void* cudart = openFrom(dirs, "libcudart.so.12", libs->cudart, tried);
  void* nvinfer = openFrom(dirs, "libnvinfer.so.10", libs->nvinfer, tried);
  void* parser = nvinfer ? openFrom(dirs, "libnvonnxparser.so.10", libs->onnxparser, tried) : nullptr;
  if (!cudart || !nvinfer || !parser) {
    throw TrtUnavailable(TrtUnavailable::Kind::kLibraries, "could not load " +
        std::string(!cudart ? "libcudart.so.12 " : "") + (!nvinfer ? "libnvinfer.so.10 " : "") +
        (nvinfer && !parser ? "libnvonnxparser.so.10 " : "") + "; looked in:\n" + joined(tried, "\n"));
  }
  bindCuda(cudart, libs->cuda, missing);
  bind(nvinfer, "getInferLibVersion", libs->trt.getInferLibVersion, missing);
  bind(nvinfer, "createInferBuilder_INTERNAL", libs->trt.createInferBuilder, missing);
  bind(nvinfer, "createInferRuntime_INTERNAL", libs->trt.createInferRuntime, missing);
  bind(parser, "createNvOnnxParser_INTERNAL", libs->trt.createOnnxParser, missing);
  bind(parser, "getNvOnnxParserVersion", libs->trt.getOnnxParserVersion, missing);
  if (!missing.empty()) {
    throw TrtUnavailable(TrtUnavailable::Kind::kLibraries, "the loaded libraries lack " + joined(missing, ", ") +
        " (" + libs->nvinfer + ", " + libs->onnxparser + ", " + libs->cudart + ")");
  }
  const int32_t version = libs->trt.getInferLibVersion();
  if (version / 10000 != NV_TENSORRT_MAJOR) {
    throw TrtUnavailable(TrtUnavailable::Kind::kVersion, libs->nvinfer + " is TensorRT " + std::to_string(version) +
        " but int8cal was compiled against TensorRT " + std::to_string(NV_TENSORRT_MAJOR) + " headers");
  }
  // Optional: the builder resource (needed to build engines) and plugins, found by soname later.
  std::string plugin;
  std::vector<std::string> ignored;
  const std::string resource = "libnvinfer_builder_resource.so." + std::to_string(version / 10000) + "." +
      std::to_string(version / 100 % 100) + "." + std::to_string(version % 100);
  if (!openFrom(dirs, resource, libs->builderResource, ignored)) libs->builderResource.clear();
  openFrom(dirs, "libnvinfer_plugin.so.10", plugin, ignored);
  loaded = std::move(libs);
  return *loaded;
}

const LoadedLibraries& libraries() {
  std::lock_guard<std::mutex> lock(loadMutex);
  if (!loaded) throw std::logic_error("TensorRT libraries used before loadLibraries()");
  return *loaded;
}

void requireGpu(const LoadedLibraries& libs) {
  int count = 0;
  const cudaError_t status = libs.cuda.getDeviceCount(&count);
  if (status != cudaSuccess || count == 0) {
    const std::string why = status != cudaSuccess
        ? std::string(libs.cuda.getErrorString(status)) + " (CUDA error " + std::to_string(static_cast<int>(status)) + ")"
        : "no CUDA device found";
    throw TrtUnavailable(TrtUnavailable::Kind::kGpu, "TensorRT needs an NVIDIA GPU and driver: " + why);
  }
}

void checkCuda(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw std::runtime_error(std::string(what) + ": " + libraries().cuda.getErrorString(status));
  }
}


}  // namespace int8cal
