/**
 * Which integer kernels ONNX Runtime's CPU provider runs on this machine, decided from cpuid in
 * MLAS's order. Its x86 U8S8 kernels without VNNI (AVX2, AVX-512 core) add pairs of uint8 × int8
 * products in saturating int16 (vpmaddubsw): 255 · 127 · 2 overflows, so weights in [−127, 127]
 * can clip sums silently, weights in [−63, 63] cannot (ONNX Runtime's `reduce_range`).
 */
import { cpuFeatures, type CpuFeatures } from '../core/native.js';

export type OrtInt8Kernels = 'vnni' | 'int16-pairs' | 'not-x86';

export function ortInt8Kernels(features: CpuFeatures = cpuFeatures()): OrtInt8Kernels {
  if (!features.x86) return 'not-x86';
  // MLAS lets AVX-512 core replace AVX-VNNI, and AVX-512 VNNI replace AVX-512 core.
  if (features.avx512Core) return features.avx512Vnni ? 'vnni' : 'int16-pairs';
  return features.avxVnni ? 'vnni' : 'int16-pairs';
}

export type OrtWeightBitsChoice = 7 | 8 | 'auto';

/** `auto`: 7 bits where this CPU's kernels sum in saturating int16, else 8. */
export function resolveOrtWeightBits(choice: OrtWeightBitsChoice, kernels: () => OrtInt8Kernels = ortInt8Kernels): 7 | 8 {
  if (choice !== 'auto') return choice;
  return kernels() === 'int16-pairs' ? 7 : 8;
}
