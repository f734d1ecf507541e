import fc from "fast-check";
import { samplesToPcm16 } from "../../src/audio/pcm";
import { speechLike } from "../stream/stream-client";
import type { AuthKind, Body } from "./harness";
import { anyString, hostileStrings } from "./json-schema-arbitrary";

/**
 * Generators of the API's inputs that are not JSON bodies: credentials, headers, query strings,
 * path ids, audio bodies and their headers, and WebSocket frames.
 */

/**
 * encodeURIComponent for any string: a lone surrogate (which no URL can carry, and which
 * encodeURIComponent refuses) becomes U+FFFD, as a browser's URL parser would make it.
 */
export function encode(s: string): string {
  return encodeURIComponent(
    s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd"),
  );
}

// ---------------------------------------------------------------------------------------------
// Credentials

/** A header value: printable ASCII mostly; now and then a control character (fetch() refuses some). */
export function headerValue(maxLength = 60): fc.Arbitrary<string> {
  const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
  const odd = fc.constantFrom("\t", "\u007f", "\u0000", "\r", "\n");
  return fc.oneof(
    { weight: 12, arbitrary: fc.string({ unit: printable, maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: fc.oneof({ weight: 8, arbitrary: printable }, odd), maxLength }) },
  );
}

/** A key of this API's shape that no tenant holds. */
const forgedKey = fc
  .tuple(
    fc.string({
      unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
      minLength: 12,
      maxLength: 12,
    }),
    fc.string({
      unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
      minLength: 43,
      maxLength: 43,
    }),
  )
  .map(([id, secret]) => `ve_${id}_${secret}`);

/** Credentials that are not the owner's: other keys, no key, and mangled or forged Authorization headers. */
export const nonOwnerAuth: fc.Arbitrary<AuthKind> = fc.oneof(
  fc.constantFrom<AuthKind>("readOnly", "voiceOnly", "intruder", "revoked", "operator", "none"),
  forgedKey.map((k): AuthKind => ({ raw: `Bearer ${k}` })),
  fc
    .constantFrom(
      "Bearer",
      "Bearer ",
      "Basic dXNlcjpwYXNz",
      "Digest username=x",
      "bearer",
      "Token abc",
      "Bearer ve__",
      "Bearer ve_x_y",
      "Bearer " + "a".repeat(4096),
      "Bearer ve_" + "a".repeat(12) + "_" + "b".repeat(500),
      "Bearer a b",
      "Bearer, Bearer",
      // workerd sends a non-latin-1 value as UTF-8 (and logs a warning).
      "Bearer ve_é",
    )
    .map((raw): AuthKind => ({ raw })),
  headerValue(80).map((raw): AuthKind => ({ raw })),
  headerValue(40).map((s): AuthKind => ({ raw: `Bearer ${s}` })),
);

/** Mostly the owner, whose requests reach the routes' validation. */
export const anyAuth: fc.Arbitrary<AuthKind> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<AuthKind>("owner") },
  { weight: 2, arbitrary: nonOwnerAuth },
);

/** Spellings of the owner's key in an Authorization header; `{key}` is replaced when sent. */
export const ownerKeySpellings = fc.constantFrom(
  "Bearer {key}",
  "bearer {key}",
  "BEARER {key}",
  "Bearer   {key}",
  "Bearer\t{key}",
  "Bearer {key} ",
  "Bearer {key}x",
  "Bearer {key-1}",
  "Bearer {KEY}",
  "Bearer  {key} extra",
  "{key}",
  "Basic {key}",
  "Bearer {key}, Bearer {key}",
  "Bearer {key}\u0000",
);

// ---------------------------------------------------------------------------------------------
// Headers

export const jsonContentTypes = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "application/json;charset=UTF-8",
  'application/json; charset="utf-8"',
  "application/json; charset=utf-16",
  "application/json; charset=latin1",
  "application/json; charset=nonsense",
  "application/json; charset=utf-8; charset=utf-8",
  "APPLICATION/JSON",
  "Application/Json ; x=y",
  "application/json;;;",
  "application/json; =",
  "application/json; boundary=x",
  "application/merge-patch+json",
  "application/vnd.api+json",
  "application/json5",
  "application/*",
  "*/*",
  "text/json",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data",
  "multipart/form-data; boundary=",
  "multipart/form-data; boundary=----fuzz",
  "audio/wav",
  "audio/L16;rate=16000;rate=8000",
  "",
  " application/json",
  "application/json\u00e9",
);

export const contentLengths = fc.oneof(
  fc.constantFrom("0", "-1", "1", "abc", "1e3", "0x10", " 5", "99999999999999999999", "10485761", "1.5", "", "2, 2"),
  fc.nat({ max: 20_000_000 }).map(String),
);

/** Headers a client might add; names from the protocol, values typical or arbitrary. */
export const extraHeader: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.tuple(
    fc.constantFrom(
      "Accept",
      "Idempotency-Key",
      "X-Request-Id",
      "traceparent",
      "tracestate",
      "Origin",
      "Accept-Encoding",
      "Content-Encoding",
      "Accept-Language",
      "Cookie",
      "X-Forwarded-For",
      "CF-Connecting-IP",
      "Range",
      "If-None-Match",
      "Expect",
      "Upgrade",
      "Connection",
      "Sec-WebSocket-Protocol",
      "X-HTTP-Method-Override",
      "Forwarded",
    ),
    fc.oneof(
      fc.constantFrom(
        "text/event-stream",
        "application/json",
        "*/*",
        "gzip",
        "br, gzip",
        "websocket",
        "Upgrade",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-00000000000000000000000000000000-0000000000000000-01",
        "ff-zz",
        "https://evil.example",
        "null",
        "bytes=0-1",
        "100-continue",
        "DELETE",
        "a".repeat(300),
        "en-US,en;q=0.9",
      ),
      headerValue(),
    ),
  ),
  fc.tuple(
    fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz-_0123456789"), minLength: 1, maxLength: 20 }),
    headerValue(),
  ),
);

// ---------------------------------------------------------------------------------------------
// Query strings

/** A value for a query parameter, in the spellings that have broken number and date parsers. */
export const queryValue = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "",
      "0",
      "1",
      "-1",
      "10",
      "50",
      "100",
      "101",
      "8000",
      "16000",
      "24000",
      "22050",
      "44100",
      "0x3E80",
      "1.6e4",
      " 16000",
      "16000 ",
      "+16000",
      "016000",
      "1e2",
      "NaN",
      "Infinity",
      "-0",
      "9007199254740993",
      "99999999999999999999999",
      "text",
      "audio",
      "wav",
      "pcm",
      "mulaw",
      "mp3",
      "ogg",
      "flac",
      "active",
      "ended",
      "en-US",
      "en",
      "zz-ZZ",
      "x-klingon",
      "local",
      "deepgram",
      "2024-01-01T00:00:00Z",
      "2024-13-45T99:99:99Z",
      "1970-01-01",
      "yesterday",
      "turn-1",
      "turn-0",
      "W10",
      "WyIiLCIiXQ",
      "eyJ4IjoxfQ",
      "%%%",
      "true",
      "[]",
      "{}",
    ),
  },
  { weight: 1, arbitrary: fc.base64String({ maxLength: 60 }) },
  { weight: 1, arbitrary: anyString(30) },
  {
    weight: 1,
    arbitrary: fc
      .jsonValue({ maxDepth: 2 })
      .map((v) => btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(v))))),
  },
);

/** Raw query text whose percent-encoding is broken or odd: sent as written. */
const rawQueryPiece = fc.constantFrom(
  "%",
  "%zz",
  "%E2%82",
  "%C3%28",
  "%FF%FE",
  "%00",
  "%2",
  "+",
  "=",
  "&&",
  ";",
  "%26",
  "%3D",
  "%u0041",
  "a=b=c",
  "%25",
);

/** A query string over a route's parameters, with unknown ones, repeats and broken encodings. */
export function queryString(names: readonly string[]): fc.Arbitrary<string> {
  const name = fc.oneof(
    { weight: 6, arbitrary: names.length ? fc.constantFrom(...names) : fc.constant("x") },
    { weight: 1, arbitrary: anyString(12) },
    { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "", "limit[]", "limit[0]") },
  );
  const pair = fc.oneof(
    { weight: 8, arbitrary: fc.tuple(name, queryValue).map(([k, v]) => `${encode(k)}=${encode(v)}`) },
    { weight: 1, arbitrary: fc.tuple(name, rawQueryPiece).map(([k, v]) => `${encode(k)}=${v}`) },
    { weight: 1, arbitrary: rawQueryPiece },
    { weight: 1, arbitrary: name.map((k) => encode(k)) },
  );
  return fc.array(pair, { minLength: 0, maxLength: 6 }).map((pairs) => pairs.join("&"));
}

// ---------------------------------------------------------------------------------------------
// Path ids

/** An id as it appears in a path (already percent-encoded where it must be). */
export const pathId: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/) },
  { weight: 2, arbitrary: anyString(40).map((s) => encode(s)) },
  {
    weight: 2,
    arbitrary: fc
      .uint8Array({ minLength: 1, maxLength: 12 })
      .map((b) => Array.from(b, (x) => `%${x.toString(16).padStart(2, "0").toUpperCase()}`).join("")),
  },
  {
    weight: 2,
    arbitrary: fc
      .array(
        fc.oneof(
          fc.constantFrom(..."abcXYZ019-_.~!$&'()*+,;=:@"),
          fc.constantFrom("%", "%zz", "%2F", "%2f", "%5C", "%00", "%20", "%2E", "%E2%82", "%C3%28", "%FF", ".."),
        ),
        { minLength: 1, maxLength: 10 },
      )
      .map((parts) => parts.join("")),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(65, 256, 2048, 8192, 16_384).map((n) => "a".repeat(n)),
  },
  { weight: 1, arbitrary: fc.constantFrom(...hostileStrings.filter((s) => s.length < 100)).map(encode) },
);

/**
 * Ids next to the model's, which must name another object: a character more or less, another
 * case, a padded or NUL-terminated copy. `{model}` is replaced when sent.
 */
export const nearModelId = fc.constantFrom(
  "{model}x",
  "x{model}",
  "{model}%00",
  "{model}%20",
  "%20{model}",
  "{model}.",
  "{model}_",
  "{model}%0A",
  "{model}%E2%80%8B",
  "{MODEL}",
);

/** Spellings of the model id that may reach it (only for credentials that cannot change it). */
export const modelIdSpellings = fc.constantFrom(
  "{model}",
  "{model%}",
  "{model}/",
  "{model}?",
  "{model}/.",
  "{model};x",
);

// ---------------------------------------------------------------------------------------------
// Audio

function le32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}
function le16(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff];
}
function ascii(s: string): number[] {
  return Array.from(s, (c) => c.charCodeAt(0) & 0xff);
}

/** Sample data: silence, noise, or a speech-like signal (which the stub provider transcribes). */
const sampleData = fc.oneof(
  fc.nat({ max: 32_000 }).map((n) => new Uint8Array(n)),
  fc.uint8Array({ maxLength: 16_000 }),
  fc
    .constantFrom(8000, 16000)
    .chain((rate) => fc.integer({ min: 100, max: 1500 }).map((ms) => samplesToPcm16(speechLike(rate, ms), true))),
);

interface WavFields {
  riff: string;
  riffSize: number;
  wave: string;
  fmtSize: number;
  format: number;
  channels: number;
  rate: number;
  bits: number;
  byteRate: number;
  blockAlign: number;
  extra: [string, number, boolean][];
  dataSize: number;
  samples: Uint8Array;
  fmtAfterData: boolean;
  truncate: number | null;
}

/** A WAV file as a client would write it: honest sizes, PCM, one of the usual rates. -1 sizes are computed. */
const honestWav: fc.Arbitrary<WavFields> = fc
  .record({
    channels: fc.constantFrom(1, 1, 1, 2),
    rate: fc.constantFrom(8000, 16000, 16000, 22050, 24000, 44100, 48000),
    bits: fc.constantFrom(16, 16, 16, 8),
    samples: sampleData,
  })
  .map((w) => ({
    riff: "RIFF",
    riffSize: -1,
    wave: "WAVE",
    fmtSize: 16,
    format: 1,
    byteRate: (w.rate * w.channels * w.bits) / 8,
    blockAlign: (w.channels * w.bits) / 8,
    extra: [],
    dataSize: -1,
    fmtAfterData: false,
    truncate: null,
    ...w,
  }));

/** One lie in a WAV header: a size, the format tag, channels, rate, bits, chunk order, or the end of the file. */
const wavLie: fc.Arbitrary<Partial<WavFields>> = fc.oneof(
  fc.record({ riff: fc.constantFrom("RIFX", "RF64", "riff", "\u0000\u0000\u0000\u0000") }),
  fc.record({ riffSize: fc.oneof(fc.constantFrom(0, 4, 36, 0xffffffff), fc.nat()) }),
  fc.record({ wave: fc.constantFrom("AVI ", "wave", "WAV ") }),
  fc.record({ fmtSize: fc.oneof(fc.constantFrom(18, 40, 14, 0, 0xffffffff), fc.nat({ max: 200 })) }),
  fc.record({ format: fc.oneof(fc.constantFrom(3, 6, 7, 0xfffe, 0, 2, 85), fc.nat({ max: 0xffff })) }),
  fc.record({ channels: fc.oneof(fc.constantFrom(0, 3, 8, 0xffff), fc.nat({ max: 0xffff })) }),
  fc.record({ rate: fc.oneof(fc.constantFrom(96000, 7999, 48001, 0, 1, 0xffffffff), fc.nat()) }),
  fc.record({ bits: fc.oneof(fc.constantFrom(24, 32, 0, 1, 12, 64), fc.nat({ max: 0xffff })) }),
  fc.record({ byteRate: fc.nat() }),
  fc.record({ blockAlign: fc.nat({ max: 0xffff }) }),
  fc.record({
    extra: fc.array(
      fc.tuple(
        fc.constantFrom("LIST", "junk", "fact", "JUNK", "data", "fmt ", "\u0000\u0000\u0000\u0000"),
        fc.nat({ max: 300 }),
        fc.boolean(),
      ),
      { minLength: 1, maxLength: 2 },
    ),
  }),
  fc.record({ dataSize: fc.oneof(fc.constantFrom(0, 1, 3, 0xffffffff, 0x7fffffff), fc.nat()) }),
  fc.record({ fmtAfterData: fc.constant(true) }),
  fc.record({ truncate: fc.nat({ max: 200 }) }),
);

function wavBytes(w: WavFields): Uint8Array {
  const fmtBody = [
    ...le16(w.format),
    ...le16(w.channels),
    ...le32(w.rate),
    ...le32(w.byteRate),
    ...le16(w.blockAlign),
    ...le16(w.bits),
  ];
  while (fmtBody.length < Math.min(w.fmtSize, 64)) fmtBody.push(0);
  const fmt = [...ascii("fmt "), ...le32(w.fmtSize), ...fmtBody];
  const data = [...ascii("data"), ...le32(w.dataSize < 0 ? w.samples.length : w.dataSize)];
  const extras = w.extra.flatMap(([id, size, honest]) => [
    ...ascii(id),
    ...le32(size),
    ...new Array<number>(honest ? size : Math.min(size, 7)).fill(0x41),
  ]);
  const head = w.fmtAfterData ? [...extras, ...data] : [...fmt, ...extras, ...data];
  const tail = w.fmtAfterData ? fmt : [];
  const body = new Uint8Array(12 + head.length + w.samples.length + tail.length);
  const riffSize = w.riffSize < 0 ? body.length - 8 : w.riffSize;
  body.set([...ascii(w.riff), ...le32(riffSize), ...ascii(w.wave), ...head]);
  body.set(w.samples, 12 + head.length);
  body.set(tail, 12 + head.length + w.samples.length);
  return w.truncate === null ? body : body.subarray(0, w.truncate);
}

/** A WAV file: honest half the time, else with one to three lies in its header. */
export const wavFile: fc.Arbitrary<Uint8Array> = fc
  .tuple(honestWav, fc.oneof(fc.constant([]), fc.array(wavLie, { minLength: 1, maxLength: 3 })))
  .map(([w, lies]) => wavBytes(Object.assign({}, w, ...lies) as WavFields));

export const wavTypes = fc.constantFrom(
  "audio/wav",
  "audio/x-wav",
  "audio/wave",
  "audio/vnd.wave",
  "AUDIO/WAV",
  "audio/wav; codecs=1",
);

/** audio/L16, G.711 and other headerless types, with their rate and channels parameters. */
export const rawAudioType = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(
        "audio/L16",
        "audio/l16",
        "audio/PCMU",
        "audio/PCMA",
        "audio/x-mulaw",
        "audio/x-alaw",
        "audio/basic",
      ),
      fc.oneof(
        fc.constantFrom(
          "8000",
          "16000",
          "24000",
          "48000",
          "7999",
          "48001",
          "0",
          "-8000",
          "16000.0",
          "1e4",
          "",
          '"16000"',
          "16k",
        ),
        fc.nat({ max: 100_000 }).map(String),
      ),
      fc.option(fc.constantFrom("1", "2", "0", "3", "-1", "1.0", "two"), { freq: 3 }),
      fc.array(
        fc.constantFrom(";", "; x=y", ";rate=16000", ";channels=1", ";;", "; charset=utf-8", ";endianness=little"),
        {
          maxLength: 2,
        },
      ),
      fc.boolean(),
    )
    .map(([essence, rate, channels, extras, withRate]) => {
      const r = withRate ? `;rate=${rate}` : "";
      const c = channels === null ? "" : `;channels=${channels}`;
      return `${essence}${r}${c}${extras.join("")}`;
    }),
  fc.constantFrom("audio/L16", "audio/L16;rate", "audio/L16;rate=", "audio/L16 ; RATE=16000", "audio/L16;Rate=16000"),
);

/** Bytes of containers the local engine cannot decode, real magic followed by garbage, or nothing. */
export const containerBody = fc.tuple(
  fc.constantFrom(
    "audio/ogg",
    "audio/opus",
    "audio/webm",
    "audio/webm;codecs=opus",
    "audio/mpeg",
    "audio/mp3",
    "audio/flac",
    "audio/x-flac",
    'audio/ogg; codecs="opus,../x"',
  ),
  fc.constantFrom<number[]>(
    ascii("OggS"),
    [0x1a, 0x45, 0xdf, 0xa3],
    ascii("ID3"),
    [0xff, 0xfb],
    ascii("fLaC"),
    ascii("RIFF"),
    [],
  ),
  fc.uint8Array({ maxLength: 4000 }),
);

export interface AudioCase {
  contentType: string | null;
  body: Body;
  note: string;
}

/** An audio body with its Content-Type: WAV, headerless, containers, multipart, or a mismatch. */
const smallAudioCase: fc.Arbitrary<AudioCase> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(wavTypes, wavFile)
      .map(([t, b]): AudioCase => ({ contentType: t, body: { bytes: b }, note: "wav" })),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(rawAudioType, fc.oneof(sampleData, fc.uint8Array({ maxLength: 3 })))
      .map(([t, b]): AudioCase => ({ contentType: t, body: { bytes: b }, note: "raw" })),
  },
  {
    weight: 1,
    arbitrary: containerBody.map(([t, magic, rest]): AudioCase => {
      const bytes = new Uint8Array(magic.length + rest.length);
      bytes.set(magic);
      bytes.set(rest, magic.length);
      return { contentType: t, body: { bytes }, note: "container" };
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        field: fc.constantFrom("audio", "audio", "audio", "file", "Audio", ""),
        type: fc.oneof(wavTypes, rawAudioType, fc.constantFrom("", "application/octet-stream", "text/plain")),
        bytes: fc.oneof(wavFile, fc.uint8Array({ maxLength: 2000 })),
        filename: fc.constantFrom("a.wav", "", "../../x.wav", "a\u0000.wav", "é.wav"),
        fields: fc.array(fc.tuple(fc.constantFrom("language", "provider", "audio", "x"), anyString(20)), {
          maxLength: 2,
        }),
        asString: fc.boolean(),
      })
      .map((m): AudioCase => ({
        contentType: null, // FormData sets multipart/form-data with its boundary
        body: {
          form: [
            ...m.fields.map(([name, value]) => ({ name, value })),
            m.asString
              ? { name: m.field, value: "not a file" }
              : { name: m.field, value: { bytes: m.bytes, type: m.type, filename: m.filename } },
          ],
        },
        note: "multipart",
      })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.oneof(
          fc.constantFrom(
            "multipart/form-data; boundary=x",
            "multipart/form-data",
            'multipart/form-data; boundary=""',
            "video/mp4",
            "application/json",
            "text/plain",
            "audio/",
            "audio",
            "audio/*",
          ),
          headerValue(40),
        ),
        fc.oneof(
          wavFile,
          fc.uint8Array({ maxLength: 2000 }),
          fc.constant(new TextEncoder().encode("--x\r\n\r\n--x--")),
        ),
      )
      .map(([t, b]): AudioCase => ({ contentType: t, body: { bytes: b }, note: "mismatch" })),
  },
  { weight: 1, arbitrary: wavFile.map((b): AudioCase => ({ contentType: null, body: { bytes: b }, note: "no type" })) },
);

/** An audio body with its Content-Type; once in a while just over MAX_AUDIO_BYTES or MAX_AUDIO_SECONDS. */
export const audioCase: fc.Arbitrary<AudioCase> = fc.oneof(
  { weight: 100, arbitrary: smallAudioCase },
  {
    weight: 1,
    arbitrary: fc.constantFrom<AudioCase>(
      Object.assign(
        { contentType: "audio/L16;rate=8000", body: { bytes: new Uint8Array(10 * 1024 * 1024 + 2) }, note: "huge" },
        { [fc.toStringMethod]: () => "10 MiB + 2 bytes of audio/L16;rate=8000" },
      ),
      Object.assign(
        { contentType: "audio/basic", body: { bytes: new Uint8Array(8000 * 301) }, note: "long" },
        { [fc.toStringMethod]: () => "301 s of audio/basic" },
      ),
    ),
  },
);

// ---------------------------------------------------------------------------------------------
// WebSocket frames

export type Frame = { text: string } | { bytes: Uint8Array };

/** A binary frame that prints as its length in a counterexample. */
function bin(bytes: Uint8Array): Frame {
  return Object.assign({ bytes }, { [fc.toStringMethod]: () => `bytes(${bytes.length})` });
}

export const binaryFrame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 3, arbitrary: fc.nat({ max: 320 }).map((n) => bin(new Uint8Array(n * 2))) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 2000 }).map(bin) },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 20, max: 400 }).map((ms) => bin(samplesToPcm16(speechLike(16000, ms), true))),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(0, 1, 3, 65_535, 65_536, 65_537, 100_000).map((n) => bin(new Uint8Array(n))),
  },
);

/**
 * An utterance in 20 ms pcm16 frames at 16 kHz: speech, then enough silence to end the caller's
 * turn, so the stream's VAD hands it to the (stub) speech-to-text provider.
 */
export const utterance: fc.Arbitrary<Frame[]> = fc.integer({ min: 300, max: 1200 }).map((ms) => {
  const speech = samplesToPcm16(speechLike(16000, ms), true);
  const all = new Uint8Array(speech.length + 16000 * 2); // 1 s of silence after it
  all.set(speech);
  const frames: Frame[] = [];
  for (let at = 0; at < all.length; at += 640) frames.push(bin(all.slice(at, at + 640)));
  return frames;
});

/** Text frames that are not client messages: broken JSON, wrong types, oversized. */
export const oddTextFrame: fc.Arbitrary<Frame> = fc.oneof(
  fc
    .constantFrom(
      "",
      "{",
      "{not json",
      "null",
      "[]",
      "1",
      '"start"',
      '{"type":null}',
      '{"type":1}',
      '{"type":"START"}',
      '{"type":"start","type":"text"}',
      '{"type":"text","text":"hi","text":""}',
      '{"type":"__proto__"}',
      '{"__proto__":{"type":"stop"}}',
      "\ufeff{}",
      '{"type":"text","text":"' + "a".repeat(8200) + '"}',
      '{"type":"text","text":"' + "é".repeat(4100) + '"}',
      "[".repeat(5000),
    )
    .map((text) => ({ text })),
  anyString(100).map((text) => ({ text })),
  fc.jsonValue({ maxDepth: 3 }).map((v) => ({ text: JSON.stringify(v) })),
  fc
    .record(
      {
        type: fc.oneof(
          fc.constantFrom("start", "text", "dtmf", "stop", "ping", "audio", "mark", "media"),
          anyString(10),
        ),
      },
      {},
    )
    .chain((base) =>
      fc
        .dictionary(anyString(10), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })
        .map((extra) => ({ ...extra, ...base })),
    )
    .map((v) => ({ text: JSON.stringify(v) })),
);
