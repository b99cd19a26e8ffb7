#include "cpu_features.h"

#include <cstdint>

#if defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
#include <immintrin.h>
#include <intrin.h>
#define INT8CAL_X86 1
static void Cpuid(int leaf, int subleaf, uint32_t out[4]) {
  int regs[4];
  __cpuidex(regs, leaf, subleaf);
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint32_t>(regs[i]);
}
static uint64_t Xcr0() { return _xgetbv(0); }
#elif defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define INT8CAL_X86 1
static void Cpuid(int leaf, int subleaf, uint32_t out[4]) {
  __cpuid_count(leaf, subleaf, out[0], out[1], out[2], out[3]);
}
static uint64_t Xcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}
#endif

namespace int8cal {

CpuFeatures DetectCpuFeatures() {
  CpuFeatures f;
#ifdef INT8CAL_X86
  f.x86 = true;
  uint32_t r[4];
  Cpuid(0, 0, r);
  const uint32_t maxLeaf = r[0];
  Cpuid(1, 0, r);
  const bool osxsave = (r[2] >> 27) & 1;
  if (!osxsave || maxLeaf < 7) return f;
  const uint64_t xcr0 = Xcr0();
  const bool ymm = (xcr0 & 0x6) == 0x6;
  const bool zmm = ymm && (xcr0 & 0xE0) == 0xE0;
  Cpuid(7, 0, r);
  const uint32_t ebx = r[1], ecx = r[2], leaf7Subleaves = r[0];
  f.avx2 = ymm && ((ebx >> 5) & 1);
  // F (16), DQ (17), CD (28), BW (30), VL (31): the set MLAS calls "AVX-512 core".
  f.avx512Core = zmm && (ebx & 0xD0030000u) == 0xD0030000u;
  f.avx512Vnni = f.avx512Core && ((ecx >> 11) & 1);
  if (leaf7Subleaves >= 1) {
    Cpuid(7, 1, r);
    f.avxVnni = f.avx2 && ((r[0] >> 4) & 1);
  }
#endif
  return f;
}

}  // namespace int8cal
