#!/usr/bin/env node
// Builds the Worker twice with `wrangler deploy --dry-run` (nothing is uploaded and no Cloudflare account is needed):
// the default one, with the embedded eSpeak NG engine (GPL-3.0, src/providers/local/), and the one
// `npm run deploy:cloud-tts` deploys, with the engine aliased to its stand-in. Fails unless the second holds no
// eSpeak code or data and is smaller; prints both sizes (docs/licensing.md quotes them).
//
//   npm run check:cloud-tts-build            (-- --keep leaves both builds in the temporary directory)
//
// The eSpeak-free build is made from the deploy:cloud-tts script's own arguments, so what is checked is what
// deploys. wrangler.toml's [build] bundles the web console first, as on a real deploy, so a clean clone works.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const WRANGLER = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
const keep = process.argv.includes("--keep");

/**
 * Byte strings found only in eSpeak NG's code and data: the vendored Emscripten glue's worker class, the data
 * pack's magic (written by the vendor script, read by espeak-engine.ts) and the Data module's file name. Each
 * must be in the default build too, or the marker has gone stale and proves nothing.
 */
const MARKERS = ["eSpeakNGWorker", "ESNGPACK", "espeak-ng-en.bin"];
/** Source files that are eSpeak NG or link it; none may appear in the eSpeak-free build's source map. */
const ENGINE_SOURCES = /src\/providers\/local\/(vendor\/|espeak-engine\.ts$|espeak-tts\.ts$)/;
const STAND_IN = /src\/providers\/local\/espeak-tts\.disabled\.ts$/;

const failures = [];
const fail = (message) => failures.push(message);

function cloudTtsArgs() {
  const script = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts?.["deploy:cloud-tts"] ?? "";
  const match = /^wrangler deploy((?: [^\s"'&|;]+)+)$/.exec(script);
  if (!match) {
    console.error(
      `check-cloud-tts-build: package.json's deploy:cloud-tts is not "wrangler deploy <plain args>": ${script}`,
    );
    process.exit(1);
  }
  return match[1].trim().split(" ");
}

function build(label, extraArgs) {
  const outdir = mkdtempSync(join(tmpdir(), `voice-edge-${label}-`));
  // No account credentials reach the dry run, so it can neither need nor touch one; no telemetry either.
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
  for (const name of ["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_ACCOUNT_ID", "CF_API_TOKEN"]) {
    delete env[name];
  }
  const args = [WRANGLER, "deploy", ...extraArgs, "--dry-run", "--outdir", outdir];
  const run = spawnSync(process.execPath, args, { cwd: root, env, encoding: "utf8", timeout: 300_000 });
  const output = `${run.stdout ?? ""}${run.stderr ?? ""}`;
  if (run.status !== 0) {
    console.error(output);
    console.error(`check-cloud-tts-build: wrangler ${args.slice(1).join(" ")} failed (${run.error ?? run.status})`);
    process.exit(1);
  }
  // Wrangler's own figure for what would be uploaded: "Total Upload: 1919.10 KiB / gzip: 405.42 KiB".
  const total = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(output);
  if (!total) fail(`${label}: no "Total Upload" line in wrangler's output`);
  // wrangler writes a README.md into --outdir; the rest is the Worker's modules and their source maps.
  const files = readdirSync(outdir)
    .filter((name) => name !== "README.md")
    .map((name) => ({ name, bytes: readFileSync(join(outdir, name)) }));
  const sources = files
    .filter((f) => f.name.endsWith(".map"))
    .flatMap((f) => JSON.parse(f.bytes.toString("utf8")).sources ?? []);
  return {
    label,
    outdir,
    files,
    sources,
    kib: total ? Number(total[1]) : NaN,
    gzipKib: total ? Number(total[2]) : NaN,
    moduleBytes: files.filter((f) => !f.name.endsWith(".map")).reduce((sum, f) => sum + f.bytes.length, 0),
  };
}

const withEspeak = build("default", []);
const without = build("cloud-tts", cloudTtsArgs());

for (const marker of MARKERS) {
  const hits = (b) => b.files.filter((f) => f.bytes.includes(marker)).map((f) => f.name);
  if (hits(withEspeak).length === 0) fail(`marker "${marker}" is not in the default build any more: update MARKERS`);
  if (hits(without).length > 0) fail(`eSpeak-free build holds "${marker}" in ${hits(without).join(", ")}`);
}
const dataModules = without.files.filter((f) => f.name.endsWith(".bin"));
if (dataModules.length > 0) fail(`eSpeak-free build has data modules: ${dataModules.map((f) => f.name).join(", ")}`);
if (!withEspeak.sources.some((s) => ENGINE_SOURCES.test(s))) fail("default build's source map lists no eSpeak source");
const leaked = without.sources.filter((s) => ENGINE_SOURCES.test(s));
if (leaked.length > 0) fail(`eSpeak-free build's source map lists ${leaked.join(", ")}`);
if (!without.sources.some((s) => STAND_IN.test(s))) fail("eSpeak-free build does not contain the stand-in");
if (!(without.kib < withEspeak.kib && without.moduleBytes < withEspeak.moduleBytes)) {
  fail("eSpeak-free build is not smaller than the default one");
}

const row = (b, name) =>
  `  ${name.padEnd(40)} ${b.kib.toFixed(2).padStart(9)} KiB   gzip ${b.gzipKib.toFixed(2).padStart(8)} KiB` +
  `   (${b.files.filter((f) => !f.name.endsWith(".map")).length} modules)`;
console.log('check-cloud-tts-build: Worker upload size (wrangler deploy --dry-run, "Total Upload")');
console.log(row(withEspeak, "default (embedded eSpeak NG)"));
console.log(row(without, "eSpeak-free (npm run deploy:cloud-tts)"));
const saved = (key) => (withEspeak[key] - without[key]).toFixed(2);
console.log(`  eSpeak NG adds ${saved("kib")} KiB, gzip ${saved("gzipKib")} KiB`);

if (keep) console.log(`  builds kept in ${withEspeak.outdir} and ${without.outdir}`);
else for (const b of [withEspeak, without]) rmSync(b.outdir, { recursive: true, force: true });

if (failures.length > 0) {
  for (const message of failures) console.error(`check-cloud-tts-build: ${message}`);
  process.exit(1);
}
console.log("check-cloud-tts-build: ok, the eSpeak-free build holds no eSpeak NG code or data");
