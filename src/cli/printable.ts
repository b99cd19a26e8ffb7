import { showControlCharacters } from '../core/control-characters.js';

/** Text from files and names, safe for a terminal: control characters (escape codes) shown as \\xHH. */
export function printable(text: string): string {
  return showControlCharacters(text);
}
