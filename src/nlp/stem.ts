/**
 * The Porter (1980) suffix-stripping stemmer, so "charges", "charged" and "charging" all match
 * an example phrase that says "charge". Written out here because the classifier needs nothing
 * else from an NLP library and Workers bundles should stay small.
 * Reference: M.F. Porter, "An algorithm for suffix stripping", Program 14(3), 1980
 * (with the later "bli"→"ble" and "logi"→"log" revisions).
 */

function isConsonant(w: string, i: number): boolean {
  switch (w[i]) {
    case "a":
    case "e":
    case "i":
    case "o":
    case "u":
      return false;
    case "y":
      // "y" is a consonant at the start or after a vowel ("toy"), a vowel after a consonant ("happy").
      return i === 0 || !isConsonant(w, i - 1);
    default:
      return true;
  }
}

/** m in [C](VC)^m[V]: roughly the number of syllables before the suffix. */
function measure(s: string): number {
  let m = 0;
  let i = 0;
  while (i < s.length && isConsonant(s, i)) i++;
  while (i < s.length) {
    while (i < s.length && !isConsonant(s, i)) i++;
    if (i >= s.length) break;
    while (i < s.length && isConsonant(s, i)) i++;
    m++;
  }
  return m;
}

function hasVowel(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isConsonant(s, i)) return true;
  return false;
}

function endsDoubleConsonant(s: string): boolean {
  const n = s.length;
  return n >= 2 && s[n - 1] === s[n - 2] && isConsonant(s, n - 1);
}

/** *o: ends consonant-vowel-consonant where the last consonant is not w, x or y ("hop", not "how"). */
function endsCvc(s: string): boolean {
  const n = s.length;
  if (n < 3) return false;
  const last = s[n - 1] ?? "";
  return isConsonant(s, n - 3) && !isConsonant(s, n - 2) && isConsonant(s, n - 1) && !"wxy".includes(last);
}

function step1a(w: string): string {
  if (w.endsWith("sses")) return w.slice(0, -2);
  if (w.endsWith("ies")) return w.slice(0, -2);
  if (w.endsWith("ss")) return w;
  if (w.endsWith("s")) return w.slice(0, -1);
  return w;
}

function step1b(w: string): string {
  if (w.endsWith("eed")) {
    const stem = w.slice(0, -3);
    return measure(stem) > 0 ? `${stem}ee` : w;
  }
  for (const suffix of ["ed", "ing"]) {
    if (!w.endsWith(suffix)) continue;
    const stem = w.slice(0, -suffix.length);
    if (!hasVowel(stem)) return w;
    if (/(at|bl|iz)$/.test(stem)) return `${stem}e`;
    if (endsDoubleConsonant(stem) && !/[lsz]$/.test(stem)) return stem.slice(0, -1);
    if (measure(stem) === 1 && endsCvc(stem)) return `${stem}e`;
    return stem;
  }
  return w;
}

function step1c(w: string): string {
  return w.endsWith("y") && hasVowel(w.slice(0, -1)) ? `${w.slice(0, -1)}i` : w;
}

type Rules = ReadonlyArray<readonly [string, string]>;

/** Replaces the longest listed suffix when the remaining stem's measure exceeds `minMeasure`. */
function replaceSuffix(w: string, rules: Rules, minMeasure: number): string {
  for (const [suffix, replacement] of rules) {
    if (!w.endsWith(suffix)) continue;
    const stem = w.slice(0, -suffix.length);
    // Porter: only the longest matching suffix is considered, even when its condition fails.
    return measure(stem) > minMeasure ? stem + replacement : w;
  }
  return w;
}

const byLengthDesc = (rules: Rules): Rules => [...rules].sort((a, b) => b[0].length - a[0].length);

const STEP2: Rules = byLengthDesc([
  ["ational", "ate"],
  ["tional", "tion"],
  ["enci", "ence"],
  ["anci", "ance"],
  ["izer", "ize"],
  ["bli", "ble"],
  ["alli", "al"],
  ["entli", "ent"],
  ["eli", "e"],
  ["ousli", "ous"],
  ["ization", "ize"],
  ["ation", "ate"],
  ["ator", "ate"],
  ["alism", "al"],
  ["iveness", "ive"],
  ["fulness", "ful"],
  ["ousness", "ous"],
  ["aliti", "al"],
  ["iviti", "ive"],
  ["biliti", "ble"],
  ["logi", "log"],
]);

const STEP3: Rules = byLengthDesc([
  ["icate", "ic"],
  ["ative", ""],
  ["alize", "al"],
  ["iciti", "ic"],
  ["ical", "ic"],
  ["ful", ""],
  ["ness", ""],
]);

const STEP4_SUFFIXES = [
  "al",
  "ance",
  "ence",
  "er",
  "ic",
  "able",
  "ible",
  "ant",
  "ement",
  "ment",
  "ent",
  "ion",
  "ou",
  "ism",
  "ate",
  "iti",
  "ous",
  "ive",
  "ize",
].sort((a, b) => b.length - a.length);

function step4(w: string): string {
  for (const suffix of STEP4_SUFFIXES) {
    if (!w.endsWith(suffix)) continue;
    const stem = w.slice(0, -suffix.length);
    if (measure(stem) <= 1) return w;
    // "-ion" goes only after s or t ("adoption" → "adopt", but not "onion").
    if (suffix === "ion" && !/[st]$/.test(stem)) return w;
    return stem;
  }
  return w;
}

function step5(w: string): string {
  if (w.endsWith("e")) {
    const stem = w.slice(0, -1);
    const m = measure(stem);
    if (m > 1 || (m === 1 && !endsCvc(stem))) w = stem;
  }
  if (measure(w) > 1 && endsDoubleConsonant(w) && w.endsWith("l")) w = w.slice(0, -1);
  return w;
}

/** Stems one lowercase word; numbers, short words and non-letters pass through unchanged. */
export function stem(word: string): string {
  if (word.length <= 2 || !/^[a-z]+$/.test(word)) return word;
  let w = step1a(word);
  w = step1b(w);
  w = step1c(w);
  w = replaceSuffix(w, STEP2, 0);
  w = replaceSuffix(w, STEP3, 0);
  w = step4(w);
  return step5(w);
}
