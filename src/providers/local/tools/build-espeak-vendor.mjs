#!/usr/bin/env node
// SPDX-License-Identifier: GPL-3.0-or-later
/**
 * Regenerates src/providers/local/vendor/ from the npm package @echogarden/espeak-ng-emscripten
 * (eSpeak NG compiled to plain JavaScript with Emscripten's wasm2js, GPL-3.0):
 *
 *  - vendor/espeak-ng.js       the Emscripten glue, patched so it runs inside workerd: no Node
 *                              detection (workerd's nodejs_compat defines process.versions.node),
 *                              no `import.meta.url`, no dynamic `import("module")`, and no file
 *                              packager that would fetch the 24 MB `espeak-ng.data` at start-up.
 *  - vendor/espeak-ng-en.bin   the English subset of espeak-ng-data (phoneme tables, en_dict, the
 *                              English language files and the voice variants) as one pack that the
 *                              adapter writes into Emscripten's MEMFS before eSpeak initialises.
 *
 * Usage, from the repository root:  node src/providers/local/tools/build-espeak-vendor.mjs
 * Every patch asserts that the text it replaces is there exactly once, so a package upgrade that
 * changes the glue fails loudly here instead of producing a bundle that breaks at run time.
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE = "@echogarden/espeak-ng-emscripten";
const EXPECTED_VERSION = "0.3.5";
const DATA_ROOT = "/usr/share/espeak-ng-data/";

const here = dirname(fileURLToPath(import.meta.url));
const vendorDir = join(here, "..", "vendor");
const require = createRequire(import.meta.url);
const pkgDir = dirname(require.resolve(`${PACKAGE}/package.json`));
const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
if (pkg.version !== EXPECTED_VERSION) {
  throw new Error(
    `${PACKAGE} is ${pkg.version}; this script was written for ${EXPECTED_VERSION}: re-check the patches`,
  );
}
const glue = readFileSync(join(pkgDir, "espeak-ng.js"), "utf8");
const data = readFileSync(join(pkgDir, "espeak-ng.data"));

/** Which files of espeak-ng-data the English voices need (paths relative to espeak-ng-data/). */
function wanted(rel) {
  return (
    ["phontab", "phonindex", "phondata", "intonations", "en_dict"].includes(rel) ||
    /^lang\/gmw\/en(-|$)/.test(rel) ||
    rel.startsWith("voices/!v/")
  );
}

// 1. The English data pack: "ESNGPACK", u32 LE manifest length, manifest JSON, then the payload.
const metaMatch = glue.match(/loadPackage\(\{files:(\[.*?\]),remote_package_size:(\d+)\}\)/s);
if (!metaMatch) throw new Error("file packager metadata not found in the glue");
const allFiles = [...metaMatch[1].matchAll(/\{filename:"([^"]+)",start:(\d+),end:(\d+)\}/g)].map((m) => ({
  path: m[1],
  start: Number(m[2]),
  end: Number(m[3]),
}));
if (Number(metaMatch[2]) !== data.length) throw new Error("espeak-ng.data size does not match the glue's metadata");
const files = [];
const chunks = [];
let offset = 0;
for (const f of allFiles) {
  if (!f.path.startsWith(DATA_ROOT)) throw new Error(`unexpected data path ${f.path}`);
  const rel = f.path.slice(DATA_ROOT.length);
  if (!wanted(rel)) continue;
  const bytes = data.subarray(f.start, f.end);
  files.push({ path: rel, offset, length: bytes.length });
  chunks.push(bytes);
  offset += bytes.length;
}
for (const required of [
  "phontab",
  "phonindex",
  "phondata",
  "intonations",
  "en_dict",
  "lang/gmw/en",
  "lang/gmw/en-US",
]) {
  if (!files.some((f) => f.path === required)) throw new Error(`${required} missing from ${PACKAGE}`);
}
const manifest = Buffer.from(
  JSON.stringify({ source: `${PACKAGE}@${pkg.version}`, root: DATA_ROOT.slice(0, -1), files }),
  "utf8",
);
const header = Buffer.alloc(12);
header.write("ESNGPACK", 0, "ascii");
header.writeUInt32LE(manifest.length, 8);
const pack = Buffer.concat([header, manifest, ...chunks]);

// 2. The glue, patched for workerd.
let js = glue;
function replaceOnce(from, to, what) {
  const first = js.indexOf(from);
  if (first < 0 || js.indexOf(from, first + 1) >= 0) throw new Error(`patch '${what}': expected exactly one match`);
  js = js.slice(0, first) + to + js.slice(first + from.length);
}
function replaceBetween(startMarker, endMarker, to, what) {
  const start = js.indexOf(startMarker);
  if (start < 0 || js.indexOf(startMarker, start + 1) >= 0) throw new Error(`patch '${what}': start marker not unique`);
  const end = js.indexOf(endMarker, start);
  if (end < 0) throw new Error(`patch '${what}': end marker not found`);
  js = js.slice(0, start) + to + js.slice(end + endMarker.length);
}

replaceOnce("var _scriptName = import.meta.url;", "var _scriptName = undefined;", "script name");
// workerd is neither a browser, a web worker nor Node (even though nodejs_compat defines
// process.versions.node): run as Emscripten's "shell" environment. `require` stays a local
// binding so bundlers leave the dead Node branches' require() calls alone.
replaceOnce(
  'var ENVIRONMENT_IS_WEB=typeof window=="object";var ENVIRONMENT_IS_WORKER=typeof ' +
    'WorkerGlobalScope!="undefined";var ENVIRONMENT_IS_NODE=typeof process=="object"&&typeof ' +
    'process.versions=="object"&&typeof ' +
    'process.versions.node=="string"&&process.type!="renderer";if(ENVIRONMENT_IS_NODE){const{createRequire}=await ' +
    'import("module");let dirname=import.meta.url;if(dirname.startsWith("data:")){dirname="/"}var ' +
    "require=createRequire(dirname)}",
  "var ENVIRONMENT_IS_WEB=false;var ENVIRONMENT_IS_WORKER=false;var ENVIRONMENT_IS_NODE=false;var require=void 0;",
  "environment detection",
);
// Echogarden's pre.js: a locateFile() that derives the data file's URL from import.meta.url.
replaceBetween("//// pre.js\n", "////\n", "", "pre.js locateFile");
// The file packager, which would load the whole 24 MB espeak-ng.data; the adapter writes the
// English pack into MEMFS itself.
replaceBetween(
  'Module["expectedDataFileDownloads"]??=0;',
  `remote_package_size:${data.length}})})();`,
  "",
  "file packager",
);
replaceOnce('return new URL("espeak-ng.wasm",import.meta.url).href', 'return "espeak-ng.wasm"', "wasm URL");
replaceOnce(
  'if(!import.meta.url.startsWith("data:")){' +
    'scriptDirectory=nodePath.dirname(require("url").fileURLToPath(import.meta.url))+"/"}',
  "",
  "node script directory",
);
for (const banned of ["import.meta", "import(", "espeak-ng.data", "eval(", "new Function"]) {
  if (js.includes(banned)) throw new Error(`patched glue still contains '${banned}'`);
}
if (!js.includes("var WebAssembly={Memory:function")) {
  throw new Error("the glue is no longer a wasm2js build: it would need a .wasm module import instead");
}

const source = `${PACKAGE}@${pkg.version}`;
const banner =
  `// Generated by src/providers/local/tools/build-espeak-vendor.mjs from ${source}; do not edit.\n` +
  "// eSpeak NG (https://github.com/espeak-ng/espeak-ng) compiled to JavaScript with Emscripten (wasm2js)\n" +
  "// by the Echogarden project. Licence: GNU GPL version 3 (see COPYING beside this file).\n" +
  "/* eslint-disable */\n// @ts-nocheck\n";
mkdirSync(vendorDir, { recursive: true });
writeFileSync(join(vendorDir, "espeak-ng.js"), banner + js);
writeFileSync(join(vendorDir, "espeak-ng-en.bin"), pack);
writeFileSync(join(vendorDir, "COPYING"), readFileSync(join(pkgDir, "COPYING")));

const sha = (b) => createHash("sha256").update(b).digest("hex").slice(0, 16);
console.log(`source      ${source}`);
console.log(`glue        ${glue.length} -> ${banner.length + js.length} bytes`);
console.log(`data pack   ${files.length} files, ${pack.length} bytes (sha256 ${sha(pack)}) of ${data.length}`);
