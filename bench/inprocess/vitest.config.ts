// npm run bench:inprocess: the Worker's own code timed inside workerd, with no HTTP server, no
// wrangler and no log pipeline in between: request paths (paths.ts) and the audio code (dsp.ts).
// The tests' setup, with only these files.
import { defineConfig } from "vitest/config";
import base from "../../vitest.config";

export default defineConfig(async (env) => {
  const config = await (typeof base === "function" ? base(env) : base);
  return {
    ...config,
    test: {
      ...config.test,
      include: ["bench/inprocess/paths.ts", "bench/inprocess/dsp.ts"],
      silent: false,
      testTimeout: 600_000,
      fileParallelism: false,
    },
  };
});
