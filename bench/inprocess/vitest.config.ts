// npm run bench:inprocess: the Worker's own code paths timed inside workerd, with no HTTP server,
// no wrangler and no log pipeline in between (see paths.ts). The tests' setup, with only this file.
import { defineConfig } from "vitest/config";
import base from "../../vitest.config";

export default defineConfig(async (env) => {
  const config = await (typeof base === "function" ? base(env) : base);
  return { ...config, test: { ...config.test, include: ["bench/inprocess/paths.ts"], silent: false, testTimeout: 600_000 } };
});
