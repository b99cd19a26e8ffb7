import type { Block, Section, VerdictWord } from '../blocks.js';
import type { Results } from '../results-schema.js';
import { checksTable, checkText, notQuantizedText, targetVerdictOf, verdictTable, worstPsnrText } from '../view.js';
import type { RenderOptions } from './options.js';
import { speedPhrase } from '../format.js';

/** One sentence per non-reference variant: what failed, or that it passed. */
function verdictLines(results: Results): Extract<Block, { kind: 'verdicts' }>['lines'] {
  return results.variants.filter((v) => v.name !== results.reference).map((v) => {
    const failed = v.verdict.checks.filter((c) => c.verdict === 'fail').map(checkText);
    const emulated = v.latency.emulated ? ' (emulated)' : '';
    const speed = `${speedPhrase(v.verdict.speed, v.verdict.speedup)}${v.device === 'gpu' ? ' (GPU, vs trt-fp32)' : ''}${emulated}`;
    const notQuantized = notQuantizedText(v);
    if (notQuantized) {
      // Mostly the fp32 model: no pass, no ∞, no speed word.
      const facts = `its metrics and latency are mostly fp32's (worst PSNR ${worstPsnrText(v)}, ${v.latency.p50.toFixed(1)} ms p50)`;
      return { variant: v.name, sentence: `${v.name}: ${notQuantized} — ${facts}`, verdict: 'none' as const, facts, failed: [], label: `**${notQuantized}**` };
    }
    const target = targetVerdictOf(results, v);
    if (target) {
      const word = target.meets ? 'meets' : 'misses';
      const facts = `${target.target}: ${target.values}, ${speed}`;
      return { variant: v.name, sentence: `${v.name}: ${word} the accuracy target ${facts}`, verdict: target.meets ? 'pass' as const : 'fail' as const, facts, failed: [], label: `**${word} the accuracy target**` };
    }
    const verdict: VerdictWord = v.verdict.verdict === 'not-quantized' ? 'none' : v.verdict.verdict;
    const sentence = verdict === 'fail' ? `${v.name}: FAIL — ${failed.join('; ')}; ${speed}`
      : verdict === 'pass' ? `${v.name}: PASS (${v.verdict.checks.length} checks); ${speed}`
        : `${v.name}: no threshold applies (PSNR ${worstPsnrText(v)}); ${speed}`;
    return { variant: v.name, sentence, verdict, facts: `worst PSNR ${worstPsnrText(v)}, ${speed}`, failed };
  });
}

export function verdictSection(results: Results, { baseline }: RenderOptions): Section {
  const lines = verdictLines(results);
  const overall: VerdictWord = lines.some((l) => l.verdict === 'fail') ? 'fail' : lines.some((l) => l.verdict === 'pass') ? 'pass' : 'none';
  const checks = checksTable(results);
  return {
    id: 'verdict', title: 'Verdict', blocks: [
      { kind: 'verdicts', overall, lines },
      { kind: 'table', table: verdictTable(results, baseline) },
      ...(checks.rows.length ? [{ kind: 'heading', text: 'Checks' } as const, { kind: 'table', table: checks } as const] : []),
    ],
  };
}
