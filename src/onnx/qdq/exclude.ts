import { invalidParameter } from '../../core/errors.js';
import type { NodeProto } from '../proto.js';

/** A parsed --exclude pattern: `/regex/` matches node names, anything else a name or op type. */
export interface ExcludePattern {
  source: string;
  matches(node: NodeProto): boolean;
}

export function parseExcludes(patterns: readonly string[] = []): ExcludePattern[] {
  return patterns.map((source) => {
    if (typeof source !== 'string' || source === '') throw invalidParameter('--exclude', 'a node name, /regex/ or op type', source);
    const regex = /^\/(.*)\/([a-z]*)$/s.exec(source);
    if (regex) {
      let re: RegExp;
      try {
        re = new RegExp(regex[1]!, regex[2]!.replace(/[gy]/g, ''));
      } catch (error) {
        throw invalidParameter('--exclude', `a valid regular expression (${(error as Error).message})`, source);
      }
      return { source, matches: (node: NodeProto) => re.test(node.name ?? '') };
    }
    return { source, matches: (node: NodeProto) => node.name === source || node.opType === source };
  });
}

/** The first pattern that keeps `node` in float, if any. */
export function excludedBy(node: NodeProto, patterns: readonly ExcludePattern[]): string | undefined {
  return patterns.find((p) => p.matches(node))?.source;
}
