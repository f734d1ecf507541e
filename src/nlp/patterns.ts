/**
 * Regular expressions from flow definitions (slot and collect patterns). Flows are few and
 * fixed, so each pattern is compiled once per isolate rather than on every turn. Patterns are
 * authored by operators, not callers, and were checked to compile when the flow was parsed.
 */
const compiled = new Map<string, RegExp>();

/** The compiled pattern; callers must not rely on `lastIndex` (no "g" or "y" flags are used). */
export function compilePattern(source: string, flags = ""): RegExp {
  const key = `${flags}/${source}`;
  let re = compiled.get(key);
  if (!re) {
    re = new RegExp(source, flags);
    compiled.set(key, re);
  }
  return re;
}

/** Whether `value` matches `pattern` in full, whether or not the author anchored it. */
export function fullMatch(pattern: string, value: string): boolean {
  return compilePattern(`^(?:${pattern})$`).test(value);
}
