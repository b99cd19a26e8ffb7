/**
 * Characters that act instead of showing: C0/C1 control characters (terminal escape codes
 * start with ESC, 0x1b) and the Unicode bidirectional overrides that reorder what a reader sees
 * ("trojan source"). Names from files, models and results.json may hold them; wherever such a
 * name is shown (terminal, report.md, report.html) it is shown as `\xHH` / `\uHHHH` instead.
 */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control character (but tab and line feed) written out as \xHH or \uHHHH. */
export function showControlCharacters(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
