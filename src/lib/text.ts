/**
 * The rule for text a client sends that the service keeps (turn text, a call's metadata and
 * context, agent definitions, key names...): it must be well-formed Unicode without control
 * characters. Refused, never silently cleaned: a client that sends NUL or a lone surrogate has a
 * bug or is probing, and a stored transcript must say what the caller said. docs/security.md.
 *
 * Refused: C0 controls except tab, line feed and carriage return (U+0000-U+0008, U+000B, U+000C,
 * U+000E-U+001F), DEL (U+007F), C1 controls (U+0080-U+009F), and unpaired UTF-16 surrogates (a
 * JSON escape such as "\ud800"; a valid pair, an emoji, is one code point and allowed).
 */
// With the u flag \p{Cs} matches only a lone surrogate: a valid pair is read as one code point.
// eslint-disable-next-line no-control-regex
const NOT_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|\p{Cs}/u;

/** Why `s` breaks the text rule (a phrase to follow a field's name), or null when it is text. */
export function textProblem(s: string): string | null {
  const bad = NOT_TEXT.exec(s);
  if (!bad) return null;
  const unit = bad[0].charCodeAt(0);
  const at = `U+${unit.toString(16).toUpperCase().padStart(4, "0")} at character ${bad.index + 1}`;
  return unit >= 0xd800 && unit <= 0xdfff
    ? `must be well-formed Unicode, not an unpaired UTF-16 surrogate (${at})`
    : `must not contain control characters (${at}); tab, line feed and carriage return are the only ones allowed`;
}

export interface TextFinding {
  /** Where the string is: object keys and array indexes from the top (empty for the value itself). */
  path: (string | number)[];
  /** What is wrong with it (textProblem's phrase; for an object key, prefixed with the key). */
  problem: string;
}

interface Node {
  value: unknown;
  parent: Node | null;
  key: string | number;
}

/**
 * The first string in a JSON value, object keys included, that breaks the text rule, or null.
 * Walks without recursion (JSON nesting has no depth limit) and builds a path only for a finding.
 */
export function findTextProblem(value: unknown): TextFinding | null {
  const stack: Node[] = [{ value, parent: null, key: "" }];
  for (let node = stack.pop(); node; node = stack.pop()) {
    const v = node.value;
    if (typeof v === "string") {
      const problem = textProblem(v);
      if (problem) return { path: pathOf(node), problem };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], parent: node, key: i });
    } else if (typeof v === "object" && v !== null) {
      const entries = Object.entries(v);
      for (const [key] of entries) {
        const problem = textProblem(key);
        if (problem) return { path: pathOf(node), problem: `key ${quoted(key)} ${problem}` };
      }
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, item] = entries[i]!;
        stack.push({ value: item, parent: node, key });
      }
    }
  }
  return null;
}

function pathOf(node: Node): (string | number)[] {
  const path: (string | number)[] = [];
  for (let n: Node | null = node; n?.parent; n = n.parent) path.push(n.key);
  return path.reverse();
}

/** A key as JSON (control characters and lone surrogates escaped), shortened. */
function quoted(key: string): string {
  const json = JSON.stringify(key);
  return json.length > 40 ? `${json.slice(0, 37)}..."` : json;
}
