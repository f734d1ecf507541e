#!/usr/bin/env node
// Rewrites docs/stream-protocol.schema.json from src/stream/protocol.ts (streamProtocolJsonSchema).
// The module imports other TypeScript files without extensions, which Node cannot load as they
// are, so it is bundled with esbuild first.
import { build } from "esbuild";
import { writeFileSync } from "node:fs";

const out = await build({
  entryPoints: ["src/stream/protocol.ts"],
  bundle: true,
  format: "esm",
  platform: "node",
  write: false,
});
const code = out.outputFiles[0].text;
const module = await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
writeFileSync("docs/stream-protocol.schema.json", JSON.stringify(module.streamProtocolJsonSchema(), null, 2) + "\n");
console.log("wrote docs/stream-protocol.schema.json");
