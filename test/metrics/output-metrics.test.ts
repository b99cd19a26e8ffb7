/**
 * The output-metric registry is the one place metrics are listed: scoring runs it, gates come
 * from it, and the reports and results.json read-back accept a metric result they have no
 * column for (a new metric is its own file plus a registry line, nothing else).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { OUTPUT_METRICS } from '../../src/metrics/output-metrics.js';
import { GATE_METRICS, parseGates } from '../../src/pipeline/gates.js';
import { checkResults } from '../../reports/results-check.js';
import { renderMarkdown } from '../../reports/markdown.js';
import { renderHtml } from '../../reports/html.js';
import { resultsFixture } from '../reports/fixture.js';

test('every output metric has its own results field and gate names, and each gate parses', () => {
  const fields = OUTPUT_METRICS.map((m) => m.field);
  assert.equal(new Set(fields).size, fields.length, `fields repeat: ${fields.join(', ')}`);
  const gates = OUTPUT_METRICS.flatMap((m) => Object.keys(m.gates ?? {}));
  assert.equal(new Set(gates).size, gates.length);
  for (const g of gates) {
    assert.ok(GATE_METRICS.includes(g), g);
    assert.equal(parseGates(`${g}<1`)[0]!.metric, g);
  }
});

test('a metric result the reports have no column for is validated by its shape and rendered by name', async () => {
  const results = await resultsFixture();
  const output = results.variants[1]!.outputs[0]! as unknown as Record<string, unknown>;
  output.ssim = { metric: 'ssim', value: 0.981 };
  const checked = checkResults(JSON.parse(JSON.stringify(results)), 'results.json');
  assert.ok(renderMarkdown(checked).includes('ssim 0.981'));
  assert.ok((await renderHtml(checked)).includes('ssim 0.981'));

  output.ssim = { metric: 'ssim', value: 'high' };
  assert.throws(() => checkResults(JSON.parse(JSON.stringify(results)), 'results.json'),
    (e: Error) => e.message.includes('results.variants[1].outputs[0].ssim.value is "high", expected a finite number'));
});
