// Command-line options of bench/faults.mjs and the fault servers each scenario starts.

export const USAGE =
  "npm run bench:faults -- [turns] [--scenario failover|single] [--concurrency 4] [--rate 2]\n" +
  "                          [--seeds 1,2,3 | --seed 42]                       one run per seed, each from scratch\n" +
  `                          [--fault-rate 0.4] [--outage 80-140|none]          region A (or the single server)
                          [--fault-rate-b 0.1] [--outage-b 100-130|none]     region B (failover only)
                          [--fault-rate-dg 0.05] [--outage-dg 150-160|none]  self-hosted Deepgram (failover only)
                          [--control-every 5] [--cap 300] [--verbose]`;

const NUMBERS = {
  concurrency: "concurrency",
  rate: "rate",
  seed: "seed",
  "fault-rate": "faultRate",
  "fault-rate-b": "faultRateB",
  "fault-rate-dg": "faultRateDg",
  "control-every": "controlEvery",
  cap: "cap",
};
const WINDOWS = { outage: "outage", "outage-b": "outageB", "outage-dg": "outageDg" };

export function parseArgs(argv) {
  const o = {
    scenario: "failover",
    turns: 200,
    concurrency: 4,
    rate: 2,
    seed: 1,
    seeds: [1, 2, 3],
    faultRate: 0.4,
    outage: [80, 140],
    faultRateB: 0.1,
    outageB: [100, 130],
    faultRateDg: 0.05,
    outageDg: [150, 160],
    controlEvery: 5,
    cap: 300,
    verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--verbose") o.verbose = true;
    else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (arg.startsWith("--")) {
      const [flag, inline] = arg.slice(2).split("=", 2);
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      if (flag === "seeds") {
        const seeds = value.split(",").map((x) => Number(x.trim()));
        if (!seeds.length || !seeds.every((x) => Number.isInteger(x) && x >= 0))
          throw new Error("--seeds takes non-negative integers separated by commas");
        o.seeds = seeds;
      } else if (flag === "scenario") {
        if (value !== "failover" && value !== "single") throw new Error("--scenario is failover or single");
        o.scenario = value;
      } else if (WINDOWS[flag]) {
        const m = /^(\d+)-(\d+)$/.exec(value);
        if (value !== "none" && !(m && Number(m[1]) < Number(m[2])))
          throw new Error(`--${flag} takes FROM-TO (audio turn numbers, TO excluded) or none`);
        o[WINDOWS[flag]] = m ? [Number(m[1]), Number(m[2])] : null;
      } else if (NUMBERS[flag]) {
        o[NUMBERS[flag]] = Number(value);
        if (!Number.isFinite(o[NUMBERS[flag]]) || o[NUMBERS[flag]] < 0)
          throw new Error(`--${flag} must be a non-negative number`);
      } else throw new Error(`unknown option ${arg}`);
    } else o.turns = Number(arg);
  }
  if (!(Number.isInteger(o.turns) && o.turns > 0)) throw new Error("turns must be a positive integer");
  if (argv.some((a) => a === "--seed" || a.startsWith("--seed="))) {
    if (!Number.isInteger(o.seed)) throw new Error("--seed must be an integer");
    o.seeds = [o.seed];
  }
  if (!(Number.isInteger(o.concurrency) && o.concurrency > 0))
    throw new Error("--concurrency must be a positive integer");
  for (const k of ["faultRate", "faultRateB", "faultRateDg"])
    if (o[k] > 1) throw new Error("a fault rate is a share between 0 and 1");
  return o;
}

/**
 * The fault servers of a scenario, in the order the worker is configured with them:
 * - failover: region A (OPENAI_BASE_URLS entry 1: many faults and a long outage), region B
 *   (entry 2: few faults, an outage inside A's, so both OpenAI regions are down at once), and a
 *   self-hosted Deepgram (DEEPGRAM_BASE_URL: rare faults, a short outage of its own once both
 *   OpenAI regions are back). Whichever the worker ranks first, each outage forces a failover: to
 *   the other region, to the other provider, or back;
 * - single: one OpenAI-compatible server, the build's behaviour before failover existed.
 */
export function scenarioServers(o) {
  // Answer times differ as real regions' do (A nearest and fastest, the Deepgram server slowest),
  // so the worker's latency ranking prefers A, then B, then dg, and every outage forces a failover
  // down that order rather than being absorbed by traffic that already went elsewhere.
  const a = { label: "A", provider: "openai", faultRate: o.faultRate, outage: o.outage, seed: o.seed, latencyMs: 60 };
  if (o.scenario === "single") return [{ ...a, label: "openai" }];
  return [
    a,
    { label: "B", provider: "openai", faultRate: o.faultRateB, outage: o.outageB, seed: o.seed + 1000, latencyMs: 150 },
    {
      label: "dg",
      provider: "deepgram",
      faultRate: o.faultRateDg,
      outage: o.outageDg,
      seed: o.seed + 2000,
      latencyMs: 350,
    },
  ];
}

/** The worker's settings for these started servers (each has .provider and .server.url). */
export function workerVars(servers) {
  const openai = servers.filter((s) => s.provider === "openai").map((s) => s.server.url);
  const deepgram = servers.filter((s) => s.provider === "deepgram").map((s) => s.server.url);
  const vars = [`STT_PROVIDERS=${[...new Set(servers.map((s) => s.provider))].join(",")}`, "TTS_PROVIDERS=local"];
  if (openai.length === 1) vars.push(`OPENAI_BASE_URL=${openai[0]}`);
  if (openai.length > 1) vars.push(`OPENAI_BASE_URLS=${openai.join(",")}`);
  if (deepgram.length) vars.push(`DEEPGRAM_BASE_URL=${deepgram[0]}`); // self-hosted: no DEEPGRAM_API_KEY needed
  return vars;
}
