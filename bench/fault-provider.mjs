// A fault-injecting OpenAI-compatible speech-to-text server for bench/faults.mjs (node:http, 127.0.0.1).
// POST /v1/audio/transcriptions drains the upload and answers {"text": "..."} after `latencyMs`,
// unless a seeded PRNG picks a fault (at `faultRate`, split by `weights`) or an outage is switched on:
//   500         HTTP 500 with an OpenAI-style error body
//   429         HTTP 429 with Retry-After: <retryAfterS>
//   hang        never answers; ends only when the client goes away (or the server closes)
//   slow        a correct answer after `slowMs`
//   malformed   HTTP 200 whose JSON body is cut off
//   reset       the connection is destroyed without an answer
//   outage_500  every request while setOutage(true): HTTP 500
// Counts requests, answers and faults served; stats() returns a copy.

/** mulberry32: a small seeded PRNG (uniform in [0, 1)), so a run's faults are reproducible from its seed. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const FAULT_KINDS = ["500", "429", "hang", "slow", "malformed", "reset"];
export const TRANSCRIPT = "i would like to check my account balance please";

const DEFAULTS = {
  name: "fault-provider",
  seed: 1,
  faultRate: 0,
  /** Relative weights of the fault kinds; the same share each by default. */
  weights: { 500: 1, 429: 1, hang: 1, slow: 1, malformed: 1, reset: 1 },
  latencyMs: 60,
  slowMs: 4000,
  retryAfterS: 1,
  text: TRANSCRIPT,
};

/**
 * Starts a server on a free port of 127.0.0.1.
 * @returns {Promise<{name: string, port: number, url: string, setOutage: (on: boolean) => void, stats: () => object, close: () => Promise<void>}>}
 */
export async function startFaultProvider(options = {}) {
  const { createServer } = await import("node:http");
  const o = { ...DEFAULTS, ...options, weights: { ...DEFAULTS.weights, ...(options.weights ?? {}) } };
  const random = prng(o.seed);
  const kinds = FAULT_KINDS.filter((k) => (o.weights[k] ?? 0) > 0);
  const totalWeight = kinds.reduce((a, k) => a + o.weights[k], 0);
  let outage = false;
  const counts = {
    requests: 0,
    /** Correct transcripts served (slow ones included). */
    answered: 0,
    otherPaths: 0,
    /** Requests whose client went away before the answer (hangs, slow answers the client gave up on). */
    clientGone: 0,
    inFlight: 0,
    maxInFlight: 0,
    faults: Object.fromEntries([...FAULT_KINDS, "outage_500"].map((k) => [k, 0])),
  };
  const timers = new Set();

  const pickFault = () => {
    if (outage) return "outage_500";
    if (random() >= o.faultRate || !kinds.length) return null;
    let r = random() * totalWeight;
    for (const k of kinds) {
      r -= o.weights[k];
      if (r < 0) return k;
    }
    return kinds[kinds.length - 1];
  };

  const later = (ms, fn) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
    return t;
  };

  const server = createServer((req, res) => {
    if (req.method !== "POST" || !req.url?.startsWith("/v1/audio/transcriptions")) {
      counts.otherPaths++;
      req.resume();
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"not found","type":"invalid_request_error"}}');
      return;
    }
    counts.requests++;
    counts.inFlight++;
    counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
    const fault = pickFault();
    if (fault) counts.faults[fault]++;
    let done = false;
    let timer;
    const finish = () => {
      if (done) return false;
      done = true;
      counts.inFlight--;
      if (timer) {
        clearTimeout(timer);
        timers.delete(timer);
      }
      return true;
    };
    // The client went away before we answered (a hang, or a slow answer it stopped waiting for).
    res.on("close", () => {
      if (!res.writableFinished && finish()) counts.clientGone++;
    });
    const json = (status, body, headers = {}) => {
      if (!finish()) return false;
      res.writeHead(status, { "content-type": "application/json", ...headers }).end(body);
      return true;
    };
    const answer = () => {
      if (json(200, JSON.stringify({ text: o.text }))) counts.answered++;
    };
    // Drain the multipart upload without parsing it, then act.
    req.resume();
    req.on("end", () => {
      switch (fault) {
        case null:
          timer = later(o.latencyMs, answer);
          break;
        case "500":
        case "outage_500":
          timer = later(o.latencyMs, () => json(500, '{"error":{"message":"The server had an error while processing your request.","type":"server_error"}}'));
          break;
        case "429":
          timer = later(o.latencyMs, () => json(429, '{"error":{"message":"Rate limit reached; please try again.","type":"requests","code":"rate_limit_exceeded"}}', { "retry-after": String(o.retryAfterS) }));
          break;
        case "hang":
          break; // never answer; "close" above counts the client giving up
        case "slow":
          timer = later(o.slowMs, answer);
          break;
        case "malformed":
          timer = later(o.latencyMs, () => json(200, `{"text":"${o.text.slice(0, 12)}`));
          break;
        case "reset":
          if (finish()) req.socket.destroy();
          break;
      }
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address();
  return {
    name: o.name,
    port,
    url: `http://127.0.0.1:${port}`,
    setOutage: (on) => {
      outage = Boolean(on);
    },
    stats: () => structuredClone(counts),
    close: () =>
      new Promise((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
