/**
 * The tune section in a real browser: the Pareto chart of the steps and the sensitivity bar
 * chart are SVG, a hostile ONNX node name stays text (HTML and Markdown), no script ran.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderHtml } from '../../reports/html.js';
import { renderMarkdown } from '../../reports/markdown.js';
import type { Results, TuneReport } from '../../reports/results-schema.js';
import { EVIL_TENSOR, resultsFixture } from './fixture.js';
import { chromium, consoleProblems, findChromium } from '../support/chromium.js';

const EVIL_NODE = `${EVIL_TENSOR}<img src=x onerror=alert(3)>`;

function tuneFixture(): TuneReport {
  const sensitivity = Array.from({ length: 25 }, (_, i) => ({
    node: i === 0 ? EVIL_NODE : `conv_${i}`, opType: 'Conv', localSqnrDb: 30 + i, accumulatedSqnrDb: 20 + i, ownLossDb: 25 - i, ...(i < 4 ? { measuredGain: 0.5 - i * 0.1 } : {}),
  }));
  const step = (n: number, psnr: number, latencyRatio: number | null) => ({
    floatNodes: sensitivity.slice(0, n).map((s) => s.node), phase: n === 0 ? 'start' : 'grow', metrics: { psnr, cosine: 0.99 }, meetsTarget: psnr >= 30,
    latencyRatio, ...(latencyRatio === null ? { latencyNote: 'n/a (TensorRT engine needed)', check: { metrics: { psnr: psnr + 0.5 }, meetsTarget: psnr + 0.5 >= 30 } } : {}),
  });
  return {
    target: { expression: 'psnr>=30', source: 'user' }, images: 3,
    placements: [
      { placement: 'tensorrt', variant: 'int8-tuned', reached: true, chosen: 2, quantizedNodes: 25, evaluations: 7, sensitivity, steps: [step(0, 25, null), step(1, 27, null), step(2, 31, null)] },
      { placement: 'ort-cpu', variant: 'int8-ort-tuned', reached: false, chosen: 1, quantizedNodes: 25, evaluations: 5, sensitivity, steps: [step(0, 24, 0.6), step(4, 28, 0.7)], fp16: { metrics: { psnr: 'inf' }, meetsTarget: true } },
    ],
  };
}

test('tune section: Pareto and sensitivity charts render in Chromium, node names escaped, Markdown tables', async (t) => {
  const binary = await findChromium();
  const dir = await mkdtemp(join(tmpdir(), 'int8cal-tune-report-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const base = await resultsFixture();
  const results: Results = {
    ...base, tune: tuneFixture(),
    accuracyTarget: { expression: 'psnr>=30', source: 'user', variants: base.variants.slice(1).map((v, i) => ({ name: v.name, meets: i === 0, metrics: { psnr: 30 + i } })) },
  };
  const page = join(dir, 'report.html');
  await writeFile(page, renderHtml(results));
  const dump = await chromium(binary, join(dir, 'profile'), ['--dump-dom', pathToFileURL(page).href]);
  const dom = dump.stdout;
  assert.match(dom, /<section id="tune">/);
  assert.match(dom, /class="chart bars"/, 'sensitivity bar chart');
  assert.equal((dom.match(/class="chart bars"/g) ?? []).length, 2, 'one per placement');
  assert.ok((dom.match(/<svg /g) ?? []).length >= 6, 'the report charts plus two Pareto and two bar charts');
  assert.match(dom, /★ chosen: 2 float/, 'the chosen step is marked');
  assert.match(dom, /Latency vs psnr: variants and tune steps/, 'ort-cpu steps are placed by real latency');
  assert.match(dom, /Nodes in float vs psnr/, 'TensorRT steps have no CPU latency');
  assert.ok(!/<script/i.test(dom) && !dom.includes('<img src="x"'), 'no element injected through a node name');
  assert.ok(dom.includes('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img'), 'the node name is text');
  assert.deepEqual(consoleProblems(dump.stderr), []);

  const md = renderMarkdown(results);
  assert.match(md, /## Accuracy target and mixed precision/);
  assert.match(md, /\| node \| op \| own SQNR loss \(dB\)/);
  assert.match(md, /\| 2 ★ \| grow \| 2 \| 31\.00 dB \| \*\*yes\*\* \| 31\.50 dB \| n\/a \(TensorRT engine needed\) \|/, 'steps scored on the check images show that metric');
  assert.match(md, /\| step \| phase \| nodes in float \| psnr \| meets target \| latency ÷ fp32 \|/, 'no check column where no step has one');
  assert.ok(!md.includes('<script>'), 'Markdown escapes the node name');
});
