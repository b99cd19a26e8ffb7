/** Escaping for every string that comes from a model, a tensor, a file name or results.json. */
import { showControlCharacters } from '../src/core/control-characters.js';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text and attribute values in HTML and inline SVG. The one escaper the HTML renderer uses.
 * Control characters are written out (\x1b), so `cat report.html` can't drive a terminal.
 */
export function escapeHtml(value: unknown): string {
  return showControlCharacters(String(value).replace(/\r/g, '\n')).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * One Markdown table cell: `|` and backticks escaped (they end a cell or open code), other
 * Markdown punctuation backslash-escaped so names like `__init__` or `*` render literally,
 * `<`/`>`/`&` as entities so no HTML gets through, line breaks flattened, control characters
 * (terminal escape codes, bidi overrides) written out as \x1b / \u202e.
 */
export function escapeMarkdown(value: unknown): string {
  return showControlCharacters(String(value).replace(/\r?\n|\r/g, ' '))
    .replace(/[\\`*_[\]|#~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** A PNG data URI as thumbnails are stored, or undefined for anything else (never put into a src). */
export function safePngDataUri(value: unknown): string | undefined {
  return typeof value === 'string' && /^data:image\/png;base64,[A-Za-z0-9+/]+={0,2}$/.test(value) ? value : undefined;
}
