import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { repoRoot } from '../support/paths.js';

const hasCompiler = spawnSync('g++', ['--version']).status === 0;
const sources = [join(repoRoot, 'native', 'tensorrt', 'batch_handoff.cc'), join(repoRoot, 'native', 'test', 'handoff_test.cc')];
const flags = ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-pthread', `-I${join(repoRoot, 'native', 'tensorrt')}`];

function buildAndRun(extra: string[], env: NodeJS.ProcessEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'int8cal-handoff-'));
  try {
    const binary = join(dir, 'handoff_test');
    execFileSync('g++', [...flags, ...extra, ...sources, '-o', binary]);
    return spawnSync(binary, { encoding: 'utf8', env: { ...process.env, ...env } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

it('the getBatch hand-off passes its C++ tests from a worker thread (order, end, throw, cancel, timeout, no leak by allocation count)', { skip: !hasCompiler && 'g++ not found' }, () => {
  const run = buildAndRun(['-O2']);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /all passed/);
});

const hasAsan = hasCompiler && spawnSync('g++', ['-fsanitize=address', '-x', 'c++', '-', '-o', '/dev/null'], { input: 'int main(){}' }).status === 0;

it('the hand-off is clean under AddressSanitizer with leak detection', { skip: !hasAsan && 'g++ has no AddressSanitizer here' }, () => {
  const run = buildAndRun(['-O1', '-g', '-fsanitize=address,undefined', '-fno-omit-frame-pointer'], { ASAN_OPTIONS: 'detect_leaks=1' });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.doesNotMatch(run.stderr, /ERROR: (Address|Leak)Sanitizer/);
});
