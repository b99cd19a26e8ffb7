/**
 * The import rules of the tree (README "Architecture"), read from the TypeScript sources:
 * src/core imports nothing else of the project; calibrators/, datasets/ and reports/ import only
 * src/core; the domain folders of src/ never reach up into src/pipeline or src/cli; only src/cli
 * imports src/cli; no import cycles. bench/ and test/ may import anything.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from './support/paths.js';

const ROOTS = ['src', 'calibrators', 'datasets', 'reports'];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(repoRoot, dir), { withFileTypes: true });
  const nested = await Promise.all(entries.map(async (e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return ['samples', 'models', '.cache'].includes(e.name) ? [] : sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  }));
  return nested.flat();
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g;

/** Project-relative imports of one file, as repo-relative .ts paths. */
async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(join(repoRoot, file), 'utf8');
  const targets: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    if (!spec.startsWith('.')) continue;
    targets.push(relative(repoRoot, resolve(repoRoot, dirname(file), spec)).replace(/\.js$/, '.ts'));
  }
  return targets;
}

/** The layer a file belongs to, and the layers it may import. */
function layerOf(file: string): string {
  if (file.startsWith('src/core/')) return 'core';
  if (file.startsWith('src/cli/')) return 'cli';
  if (file.startsWith('src/pipeline/')) return 'pipeline';
  if (file === 'src/index.ts') return 'api';
  if (file === 'src/options.ts') return 'options';
  if (file.startsWith('src/')) return 'domain';
  return file.split('/')[0]!; // calibrators, datasets, reports
}

const LEAF = ['core'];
const ALLOWED: Record<string, string[]> = {
  core: [],
  calibrators: LEAF, datasets: LEAF, reports: LEAF,
  domain: [...LEAF, 'calibrators', 'datasets', 'reports', 'domain'],
  options: [...LEAF, 'calibrators', 'datasets', 'reports', 'domain'],
  pipeline: [...LEAF, 'calibrators', 'datasets', 'reports', 'domain', 'options', 'pipeline'],
  api: [...LEAF, 'calibrators', 'datasets', 'reports', 'domain', 'options', 'pipeline'],
  cli: [...LEAF, 'calibrators', 'datasets', 'reports', 'domain', 'options', 'pipeline', 'cli'],
};

function violation(from: string, to: string): string | undefined {
  const a = layerOf(from);
  const b = layerOf(to);
  if (a === b && a !== 'domain') return undefined;
  if (a === 'domain' && b === 'domain') return undefined;
  return ALLOWED[a]!.includes(b) ? undefined : `${from} imports ${to} (${a} may import only ${ALLOWED[a]!.join(', ') || 'nothing of the project'})`;
}

/** Every import cycle, as the files in it (Tarjan's strongly connected components). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next); low.set(v, next); next++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); component.push(w); } while (w !== v);
      if (component.length > 1 || graph.get(v)!.includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const files = (await Promise.all(ROOTS.map(sourceFiles))).flat().sort();
const graph = new Map(await Promise.all(files.map(async (f) => [f, await importsOf(f)] as const)));

test('imports follow the layers: core ← calibrators/datasets/reports ← src domain ← pipeline ← cli', () => {
  const problems = [...graph].flatMap(([from, targets]) => targets.map((to) => violation(from, to)).filter(Boolean));
  assert.deepEqual(problems, []);
});

test('no import cycles', () => {
  assert.deepEqual(cycles(graph).map((c) => c.join(' → ')), []);
});

test('every relative import names a file that exists', () => {
  const missing = [...graph].flatMap(([from, targets]) => targets.filter((t) => !graph.has(t)).map((t) => `${from} imports ${t}`));
  assert.deepEqual(missing, []);
});

test('a placement lives in its own file: no other source names its model files or branches on its name', async () => {
  const { PLACEMENT_NAMES, placementOf } = await import('../src/onnx/qdq/placements/index.js');
  const placements = PLACEMENT_NAMES.map(placementOf);
  const own = (f: string) => f.startsWith('src/onnx/qdq/placements/');
  const problems: string[] = [];
  for (const file of files.filter((f) => !own(f))) {
    const text = await readFile(join(repoRoot, file), 'utf8');
    for (const p of placements) {
      for (const name of [p.runFile, p.tunedRunFile]) if (text.includes(`'${name}'`)) problems.push(`${file} names ${name}`);
      if (new RegExp(`placement(?:\\.name)?\\s*[!=]==?\\s*'${p.name}'`).test(text)) problems.push(`${file} branches on placement ${p.name}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('every engine session outside src/engines is opened through the registry (createEngine)', async () => {
  const direct: string[] = [];
  for (const file of files.filter((f) => !f.startsWith('src/engines/'))) {
    const text = await readFile(join(repoRoot, file), 'utf8');
    if (/\b(?:OnnxRuntimeEngine|TensorRtEngine)\.create\(|InferenceSession\.create\(/.test(text)) direct.push(file);
  }
  assert.deepEqual(direct, []);
});
