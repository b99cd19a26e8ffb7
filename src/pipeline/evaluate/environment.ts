import { cpus, arch, platform } from 'node:os';
import { createRequire } from 'node:module';
import { engineVersions } from '../../engines/registry.js';
import type { Environment } from '../../../reports/results-schema.js';

const { version } = createRequire(import.meta.url)('../../../../package.json') as { version: string };

/** Where latency was measured: recorded with every result so numbers stay comparable. */
export function environment(threads: number): Environment {
  const cores = cpus();
  return {
    cpu: cores[0]?.model.trim() ?? 'unknown',
    cores: cores.length,
    threads,
    platform: platform(),
    arch: arch(),
    node: process.version,
    onnxruntime: engineVersions().onnxruntime,
    int8cal: version,
    backend: 'onnxruntime-cpu',
  };
}
