// A fault-injecting speech-to-text server for bench/faults.mjs (node:http, 127.0.0.1). It speaks two
// wire formats (bench/fault-wire.mjs): OpenAI's POST /v1/audio/transcriptions and Deepgram's
// POST /v1/listen (what Deepgram self-hosted serves), so one server can stand in for an
// OpenAI-compatible endpoint (OPENAI_BASE_URLS) or for a self-hosted Deepgram (DEEPGRAM_BASE_URL).
// A request gets a correct answer after `latencyMs`, unless a seeded PRNG picks a fault (at
// `faultRate`, split by `weights`) or an outage is switched on:
//   500         HTTP 500 with the provider's error body
//   429         HTTP 429 with Retry-After: <retryAfterS>
//   hang        never answers; ends only when the client goes away (or the server closes)
//   slow        a correct answer after `slowMs`
//   malformed   HTTP 200 whose JSON body is cut off
//   reset       the connection is destroyed without an answer
//   outage_500  every request while setOutage(true): HTTP 500
// A request that is not what the adapter should send (wrong path, no model...) gets 400 and is
// counted as `badRequests`: it means the adapter and the server disagree, not a fault.
// Several servers, each with its own profile (fault rate, seed...), start with startFaultProviders.
import { answer, badRequest, errorBody, wireOf } from "./fault-wire.mjs";
import { seeded } from "./lib/seeded.mjs";

export { TRANSCRIPT } from "./fault-wire.mjs";

export const FAULT_KINDS = ["500", "429", "hang", "slow", "malformed", "reset"];

const DEFAULTS = {
  name: "fault-provider",
  seed: 1,
  faultRate: 0,
  /** Relative weights of the fault kinds; the same share each by default. */
  weights: { 500: 1, 429: 1, hang: 1, slow: 1, malformed: 1, reset: 1 },
  latencyMs: 60,
  slowMs: 4000,
  retryAfterS: 1,
};

/**
 * Starts a server on a free port of 127.0.0.1.
 * @returns {Promise<{
 *   name: string, port: number, url: string, setOutage: (on: boolean) => void, stats: () => object,
 *   close: () => Promise<void>
 * }>}
 */
export async function startFaultProvider(options = {}) {
  const { createServer } = await import("node:http");
  const o = { ...DEFAULTS, ...options, weights: { ...DEFAULTS.weights, ...(options.weights ?? {}) } };
  const random = seeded(o.seed);
  const kinds = FAULT_KINDS.filter((k) => (o.weights[k] ?? 0) > 0);
  const totalWeight = kinds.reduce((a, k) => a + o.weights[k], 0);
  let outage = false;
  const counts = {
    requests: 0,
    /** Requests per wire format ("openai", "deepgram"). */
    byWire: { openai: 0, deepgram: 0 },
    /** Correct transcripts served (slow ones included). */
    answered: 0,
    /** Requests on the right path that were not what the adapter should send (answered 400). */
    badRequests: 0,
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
    const url = new URL(req.url ?? "/", "http://fault.invalid");
    const wire = wireOf(req.method, url.pathname);
    if (!wire) {
      counts.otherPaths++;
      req.resume();
      res
        .writeHead(404, { "content-type": "application/json" })
        .end('{"error":{"message":"not found","type":"invalid_request_error"}}');
      return;
    }
    counts.requests++;
    counts.byWire[wire]++;
    counts.inFlight++;
    counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
    const wrong = badRequest(wire, url, req.headers);
    const fault = wrong ? null : pickFault();
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
    const send = (status, body, headers = {}) => {
      if (!finish()) return false;
      res.writeHead(status, { "content-type": "application/json", ...headers }).end(body);
      return true;
    };
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    // Read the whole upload (the Deepgram answer describes it: duration, sha256), then act.
    req.on("end", () => {
      const bytes = Buffer.concat(chunks);
      const correct = (truncated) => {
        const a = answer(wire, url, bytes, truncated);
        return send(200, a.body, a.headers);
      };
      if (wrong) {
        counts.badRequests++;
        timer = later(o.latencyMs, () => send(400, errorBody(wire, 400, wrong)));
        return;
      }
      switch (fault) {
        case null:
          timer = later(o.latencyMs, () => correct(false) && counts.answered++);
          break;
        case "500":
        case "outage_500":
          timer = later(o.latencyMs, () => send(500, errorBody(wire, 500)));
          break;
        case "429":
          timer = later(o.latencyMs, () => send(429, errorBody(wire, 429), { "retry-after": String(o.retryAfterS) }));
          break;
        case "hang":
          break; // never answer; "close" above counts the client giving up
        case "slow":
          timer = later(o.slowMs, () => correct(false) && counts.answered++);
          break;
        case "malformed":
          timer = later(o.latencyMs, () => correct(true));
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

/**
 * Starts one server per profile (the options of startFaultProvider), each with its own PRNG, so
 * one can fail often and another rarely. If one cannot start, the others are closed again.
 */
export async function startFaultProviders(profiles) {
  const started = await Promise.allSettled(profiles.map((p) => startFaultProvider(p)));
  const failed = started.find((r) => r.status === "rejected");
  if (failed) {
    await Promise.all(started.filter((r) => r.status === "fulfilled").map((r) => r.value.close()));
    throw failed.reason;
  }
  return started.map((r) => r.value);
}
