/**
 * The intent classifier: scores an utterance against each intent's keywords and example phrases.
 *
 * Two kinds of evidence, combined as a noisy-OR so either alone can carry a clear utterance:
 *  - keywords: stemmed word/phrase hits. A phrase weighs its number of content words, divided by
 *    how many intents share it, and hits saturate: score = 1 − ½^weight (one word → 0.5).
 *  - examples: TF-IDF cosine between the utterance and the closest example phrase, squared so
 *    that sharing one word out of two ("tell me a joke" vs "tell me my balance": cosine ≈ 0.5)
 *    stays weak evidence while close paraphrases stay strong. IDF treats each intent's examples
 *    as one document, so a word in many examples of the same intent ("balance") stays
 *    characteristic, while a word several intents use ("account") counts for little.
 *    Words the flow has never seen still count in the utterance's vector length, so a long
 *    off-topic sentence that happens to share one word does not look like a match.
 * The winner's confidence is then discounted by how close the runner-up came (an utterance that
 * fits two intents equally is ambiguous, not confident). Everything is precomputed per flow;
 * a classification is a few hundred map lookups.
 */
import type { FlowIntent } from "./flow-schema";
import { tokenize } from "./normalize";
import { stem } from "./stem";

/**
 * Function words that carry no intent. Deliberately excludes negations and particles that change
 * meaning in this domain ("not working", "internet is down/out", "no thanks").
 */
const STOPWORDS = new Set([
  "a",
  "an",
  "the",
  "i",
  "me",
  "my",
  "mine",
  "we",
  "us",
  "our",
  "you",
  "your",
  "it",
  "its",
  "this",
  "that",
  "these",
  "those",
  "is",
  "am",
  "are",
  "was",
  "were",
  "be",
  "been",
  "being",
  "do",
  "does",
  "did",
  "have",
  "has",
  "had",
  "to",
  "of",
  "for",
  "on",
  "in",
  "at",
  "with",
  "about",
  "and",
  "or",
  "so",
  "just",
  "please",
  "would",
  "could",
  "can",
  "will",
  "shall",
  "should",
  "may",
  "might",
  "like",
  "want",
  "need",
  "some",
  "um",
  "uh",
  "er",
  "hmm",
  "yeah",
  "okay",
  "ok",
  "well",
  "there",
  "here",
  "what",
  "how",
  "why",
  "when",
  "get",
  "got",
  "going",
  "let",
  "really",
  "very",
  "also",
  "if",
  "then",
  "any",
]);

/** How much an unseen word lengthens the utterance vector, relative to the rarest known word. */
const UNSEEN_WORD_WEIGHT = 0.75;
/** Typo repair only for stems at least this long: shorter words are too often other real words. */
const MIN_CORRECTABLE_LENGTH = 6;
/** Share of the winner's score removed when the runner-up scores the same. */
const AMBIGUITY_PENALTY = 0.5;

type Vector = Map<string, number>;

interface Keyword {
  stems: string[];
  weight: number;
}

interface IndexedIntent {
  name: string;
  order: number;
  examples: Vector[];
  keywords: Keyword[];
}

export interface IntentScore {
  intent: string;
  /** Combined evidence in [0,1] before the ambiguity discount. */
  score: number;
  keywordScore: number;
  /** Squared cosine to the closest example. */
  similarity: number;
}

export interface Classification {
  /** Best intent, or undefined when no allowed intent has any evidence. */
  intent: string | undefined;
  /** Calibrated confidence in [0,1]: the best score discounted by the runner-up. */
  confidence: number;
  ranking: IntentScore[];
}

/** An utterance reduced to stems: `all` keeps function words (for phrases), `content` does not. */
interface Analysed {
  all: string[];
  content: string[];
}

function levenshteinAtMostOne(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  let j = 0;
  let edits = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      i++;
      j++;
      continue;
    }
    if (++edits > 1) return false;
    if (a.length > b.length) i++;
    else if (b.length > a.length) j++;
    else {
      i++;
      j++;
    }
  }
  return edits + (a.length - i) + (b.length - j) <= 1;
}

function unit(v: Vector, extraSquaredLength = 0): Vector {
  let sum = extraSquaredLength;
  for (const w of v.values()) sum += w * w;
  const norm = Math.sqrt(sum);
  if (norm === 0) return v;
  for (const [k, w] of v) v.set(k, w / norm);
  return v;
}

function dot(a: Vector, b: Vector): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let sum = 0;
  for (const [k, w] of small) sum += w * (large.get(k) ?? 0);
  return sum;
}

function termFrequencies(terms: readonly string[]): Map<string, number> {
  const tf = new Map<string, number>();
  for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
  return tf;
}

function containsSequence(haystack: readonly string[], needle: readonly string[]): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Stems every token; `correct` (typo repair) applies to content words only. */
function stemTokens(text: string, correct: (s: string) => string = (s) => s): Analysed {
  const all: string[] = [];
  const content: string[] = [];
  for (const token of tokenize(text)) {
    if (STOPWORDS.has(token)) {
      all.push(stem(token));
      continue;
    }
    const s = correct(stem(token.replace(/^\$/, "")));
    all.push(s);
    content.push(s);
  }
  return { all, content };
}

export class IntentClassifier {
  private readonly idf = new Map<string, number>();
  private readonly unseenWeight: number;
  private readonly intents: IndexedIntent[];
  /** Every stem the flow knows, sorted, for deterministic typo correction. */
  private readonly vocabulary: string[];
  private readonly vocabularySet: Set<string>;

  constructor(intents: readonly FlowIntent[]) {
    const exampleTerms = intents.map((intent) => intent.examples.map((e) => stemTokens(e).content));
    const df = new Map<string, number>();
    for (const examples of exampleTerms) for (const t of new Set(examples.flat())) df.set(t, (df.get(t) ?? 0) + 1);
    const n = Math.max(intents.length, 1);
    for (const [t, count] of df) this.idf.set(t, Math.log(1 + n / count));
    this.unseenWeight = Math.log(1 + n) * UNSEEN_WORD_WEIGHT;

    // A keyword shared by several intents is weaker evidence for each of them.
    const keywordStems = intents.map((intent) => intent.keywords.map((k) => stemTokens(k)));
    const sharedBy = new Map<string, number>();
    for (const list of keywordStems) {
      for (const key of new Set(list.map((k) => k.all.join(" ")))) sharedBy.set(key, (sharedBy.get(key) ?? 0) + 1);
    }

    this.intents = intents.map((intent, order) => ({
      name: intent.name,
      order,
      examples: (exampleTerms[order] ?? []).map((terms) => this.vectorize(terms)),
      keywords: (keywordStems[order] ?? []).map((k) => ({
        stems: k.all,
        weight: Math.max(k.content.length, 1) / (sharedBy.get(k.all.join(" ")) ?? 1),
      })),
    }));

    const vocabulary = new Set<string>(df.keys());
    for (const list of keywordStems) for (const k of list) for (const s of k.content) vocabulary.add(s);
    this.vocabularySet = vocabulary;
    this.vocabulary = [...vocabulary].sort();
  }

  /** Unit TF-IDF vector (sublinear tf); unknown terms only lengthen it. */
  private vectorize(terms: readonly string[]): Vector {
    const v: Vector = new Map();
    let unseenSquared = 0;
    for (const [t, count] of termFrequencies(terms)) {
      const weight = 1 + Math.log(count);
      const idf = this.idf.get(t);
      if (idf === undefined) unseenSquared += (weight * this.unseenWeight) ** 2;
      else v.set(t, weight * idf);
    }
    return unit(v, unseenSquared);
  }

  /** Maps a stem the flow has never seen to a known one a single typo away ("balence" → "balanc"). */
  private correct(s: string): string {
    if (s.length < MIN_CORRECTABLE_LENGTH || this.vocabularySet.has(s) || !/^[a-z]+$/.test(s)) return s;
    const near = (v: string): boolean =>
      v.length >= MIN_CORRECTABLE_LENGTH && v[0] === s[0] && levenshteinAtMostOne(v, s);
    return this.vocabulary.find(near) ?? s;
  }

  /**
   * Scores `text` against the intents in `allowed` (all when omitted). `typos` enables spelling
   * repair, meant for typed text: speech recognisers emit real words, and a real word one letter
   * from a flow word ("change"/"charge") is a different word, not a typo.
   */
  classify(text: string, allowed?: ReadonlySet<string>, options: { typos?: boolean } = {}): Classification {
    const { all, content } = stemTokens(text, options.typos ? (s) => this.correct(s) : undefined);
    const query = this.vectorize(content);

    const ranking: Array<IntentScore & { order: number }> = [];
    for (const intent of this.intents) {
      if (allowed && !allowed.has(intent.name)) continue;
      let keywordWeight = 0;
      for (const k of intent.keywords) if (containsSequence(all, k.stems)) keywordWeight += k.weight;
      const keywordScore = 1 - 0.5 ** keywordWeight;
      let cosine = 0;
      for (const example of intent.examples) cosine = Math.max(cosine, dot(query, example));
      const similarity = Math.min(cosine, 1) ** 2; // min(): guard against rounding above 1
      const score = 1 - (1 - keywordScore) * (1 - similarity);
      ranking.push({ intent: intent.name, order: intent.order, score, keywordScore, similarity });
    }
    ranking.sort((a, b) => b.score - a.score || a.order - b.order);

    const best = ranking[0];
    if (!best || best.score <= 0) return { intent: undefined, confidence: 0, ranking: strip(ranking) };
    const runnerUp = ranking[1]?.score ?? 0;
    const confidence = best.score * (1 - AMBIGUITY_PENALTY * (runnerUp / best.score));
    return { intent: best.intent, confidence: round(confidence), ranking: strip(ranking) };
  }
}

const round = (x: number): number => Math.round(x * 1e4) / 1e4;

function strip(ranking: ReadonlyArray<IntentScore & { order: number }>): IntentScore[] {
  return ranking.map(({ intent, score, keywordScore, similarity }) => ({
    intent,
    score: round(score),
    keywordScore: round(keywordScore),
    similarity: round(similarity),
  }));
}
