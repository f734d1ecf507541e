import { defineConfig, type ViteUserConfig } from "vitest/config";
import base from "./vitest.config.ts";

/**
 * `npm run fuzz`: the property-based suite of test/fuzz/ alone, with FUZZ_RUNS cases across its
 * properties (10,000 by default) instead of the bounded number `npm test` runs, and its summary
 * printed (docs/security.md#fuzzing). FUZZ_SEED replays a run. The Worker's request logs are
 * dropped; the suite's own lines start with [fuzz].
 */
export default defineConfig(async (env) => {
  const resolved = (await (typeof base === "function" ? base(env) : base)) as ViteUserConfig;
  const runs = Number(process.env.FUZZ_RUNS ?? "10000");
  const seed = process.env.FUZZ_SEED === undefined ? {} : { fuzzSeed: Number(process.env.FUZZ_SEED) };
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`FUZZ_RUNS must be a positive integer, not ${process.env.FUZZ_RUNS}`);
  return {
    ...resolved,
    test: {
      ...resolved.test,
      include: ["test/fuzz/**/*.test.ts"],
      silent: false,
      provide: { fuzzRuns: runs, ...seed },
      onConsoleLog: (log: string) => (log.includes("[fuzz]") ? undefined : false),
    },
  };
});
