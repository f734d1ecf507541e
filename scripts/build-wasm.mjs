// Compiles the WebAssembly text sources under src/ to the .wasm files next to them (committed, so
// neither wrangler nor the tests need wabt). `--check` compiles in memory and fails if a committed
// .wasm differs from its source's compilation: CI runs it, so the two cannot drift apart.
//   npm run build:wasm [-- --check]
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import wabtInit from "wabt";

const ROOT = join(import.meta.dirname, "..");
const SOURCES = ["src/audio/resample-kernel.wat"];

const check = process.argv.includes("--check");
const wabt = await wabtInit();
let stale = 0;
for (const source of SOURCES) {
  const target = source.replace(/\.wat$/, ".wasm");
  const parsed = wabt.parseWat(source, readFileSync(join(ROOT, source), "utf8"), { simd: true });
  parsed.validate();
  const { buffer } = parsed.toBinary({ write_debug_names: false });
  parsed.destroy();
  if (check) {
    let committed;
    try {
      committed = readFileSync(join(ROOT, target));
    } catch {
      committed = Buffer.alloc(0);
    }
    if (Buffer.compare(committed, Buffer.from(buffer)) !== 0) {
      console.error(`${target} is not the compilation of ${source}: run npm run build:wasm and commit it`);
      stale++;
    } else {
      console.log(`${target}: current (${buffer.length} bytes)`);
    }
  } else {
    writeFileSync(join(ROOT, target), buffer);
    console.log(`${target}: ${buffer.length} bytes`);
  }
}
if (stale) process.exit(1);
