// The x86 instruction-set features that decide which int8 GEMM kernels ONNX Runtime's MLAS
// runs, read from cpuid and XCR0 the way MLAS reads them (an OS that does not save the wide
// registers makes the feature unusable, whatever cpuid says).
#pragma once

namespace int8cal {

struct CpuFeatures {
  bool x86 = false;
  bool avx2 = false;        // AVX2 with YMM state enabled by the OS
  bool avxVnni = false;     // AVX-VNNI (vpdpbusd on YMM)
  bool avx512Core = false;  // AVX-512 F/DQ/CD/BW/VL with ZMM state enabled by the OS
  bool avx512Vnni = false;  // AVX-512 VNNI
};

CpuFeatures DetectCpuFeatures();

}  // namespace int8cal
