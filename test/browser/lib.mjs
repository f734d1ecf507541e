// What the web console's browser tests (console.test.mjs, console-interim.test.mjs) share: the run's
// harness (log, clean-up steps, an overall time limit), the fake microphone's WAV, Chromium's launch
// with that microphone, a page's watch for console and page errors, keyboard helpers, the failure report.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const ADMIN_TOKEN = "console-test-admin-token-0123456789";
/** The Worker settings every test Worker shares. */
export const BASE_VARS = [
  `ADMIN_TOKEN=${ADMIN_TOKEN}`,
  "ARCHIVE_KEYS=test:dm9pY2UtZWRnZSBjb25zb2xlIHRlc3Qga2V5IDAxMjM=",
  "DEV_EMULATE_JURISDICTION=true",
];

/**
 * A test's run: `log` (with the seconds since the start), `cleanups` (undo steps: browser, servers, temporary files,
 * taken in reverse at the end, also when the run times out), and `main(run)`, which runs it within `timeoutMs` and
 * sets the exit code.
 */
export function harness(label, { timeoutMs }) {
  const started = performance.now();
  const cleanups = [];
  const cleanUp = async () => {
    for (const step of cleanups.splice(0).reverse()) await step().catch(() => undefined);
  };
  const log = (message) => console.log(`[${label} +${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`);
  async function main(run) {
    const timeout = setTimeout(async () => {
      console.error(`[${label}] gave up after ${timeoutMs / 1000} s`);
      await Promise.race([cleanUp(), new Promise((resolve) => setTimeout(resolve, 15_000))]);
      process.exit(1);
    }, timeoutMs);
    try {
      if (!existsSync(CHROMIUM))
        throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
      await run();
    } catch (err) {
      console.error(err);
      process.exitCode = 1;
    } finally {
      await cleanUp();
      clearTimeout(timeout);
    }
  }
  return { log, cleanups, main };
}

/** A PCM16 mono WAV fixture as a WAV with `leadS` seconds of silence before it and `trailS` after (same rate). */
export function fakeMicrophoneWav(fixture, { leadS, trailS }) {
  const wav = readFileSync(fixture);
  assert.equal(wav.toString("ascii", 0, 4), "RIFF", "fixture is not RIFF");
  let fmt;
  let data;
  for (let at = 12; at + 8 <= wav.length;) {
    const id = wav.toString("ascii", at, at + 4);
    const size = wav.readUInt32LE(at + 4);
    if (id === "fmt ")
      fmt = {
        format: wav.readUInt16LE(at + 8),
        channels: wav.readUInt16LE(at + 10),
        rate: wav.readUInt32LE(at + 12),
        bits: wav.readUInt16LE(at + 22),
      };
    if (id === "data") data = wav.subarray(at + 8, at + 8 + size);
    at += 8 + size + (size & 1);
  }
  assert.ok(fmt && data, "fixture has no fmt or data chunk");
  assert.deepEqual([fmt.format, fmt.channels, fmt.bits], [1, 1, 16], "fixture must be PCM16 mono");
  const silence = (s) => Buffer.alloc(Math.round(s * fmt.rate) * 2);
  const pcm = Buffer.concat([silence(leadS), data, silence(trailS)]);
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write("WAVEfmt ", 8, "ascii");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(fmt.rate, 24);
  header.writeUInt32LE(fmt.rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}

/** Headless Chromium (CONSOLE_TEST_HEADFUL=1: with a window) whose microphone plays `micWav` once. */
export function launchChromium(micWav) {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: !process.env.CONSOLE_TEST_HEADFUL,
    args: [
      "--no-sandbox", // CI runs as root
      "--disable-dev-shm-usage",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${micWav}%noloop`,
      "--autoplay-policy=no-user-gesture-required",
      "--lang=en-US",
    ],
    defaultViewport: { width: 1280, height: 900 },
  });
}

/**
 * Watches a page: its console errors (but 404s, and those in `expectedErrors`, each let through once) and page errors,
 * a CSP violation among them, go to `problems`. The machine may be busy (CI, or a test suite next door): the timeouts
 * are generous, but bounded. CONSOLE_TEST_VERBOSE=1 logs the page's console.
 */
export function watchPage(target, label, { problems, expectedErrors = [], log }) {
  target.setDefaultTimeout(60_000);
  target.setDefaultNavigationTimeout(90_000);
  target.on("console", (message) => {
    const line = `${label} console.${message.type()}: ${message.text()}`;
    if (message.type() === "error" && !/status of 404/.test(message.text())) {
      const expected = expectedErrors.findIndex((pattern) => pattern.test(message.text()));
      if (expected >= 0) expectedErrors.splice(expected, 1);
      else problems.push(line);
    }
    if (process.env.CONSOLE_TEST_VERBOSE) log(line);
  });
  target.on("pageerror", (err) => problems.push(`${label} page error: ${err.message}`));
}

export async function api(base, path, { method = "GET", token, body } = {}) {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/** A key of `tenantId` for the console: it starts calls and reads them. */
export async function consoleKey(base, tenantId) {
  const { key } = await api(base, "/api/v1/admin/keys", {
    method: "POST",
    token: ADMIN_TOKEN,
    body: { tenantId, scopes: ["calls:write", "calls:read"], name: "console test" },
  });
  return key;
}

/** Presses Tab until `selector` has focus (at most `limit` times): the control is in the tab order. */
export async function tabTo(page, selector, limit = 12) {
  for (let i = 0; i < limit; i++) {
    if (await page.$eval(selector, (node) => node === document.activeElement)) return;
    await page.keyboard.press("Tab");
  }
  assert.fail(`${selector} was not reached with Tab in ${limit} presses`);
}

/** Picks the option `value` of a <select> with the arrow keys, as a person would. */
export async function choose(page, selector, value) {
  await page.focus(selector);
  for (let i = 0; i < 50; i++) {
    const { now, want } = await page.$eval(
      selector,
      (node, v) => ({ now: node.selectedIndex, want: [...node.options].findIndex((o) => o.value === v) }),
      value,
    );
    assert.ok(want >= 0, `${selector} has no option ${JSON.stringify(value)}`);
    if (now === want) return;
    await page.keyboard.press(now < want ? "ArrowDown" : "ArrowUp");
  }
  assert.fail(`${selector} did not reach ${JSON.stringify(value)} with the arrow keys`);
}

export async function waitFor(page, what, fn, arg, timeout = 30_000) {
  try {
    return await page.waitForFunction(fn, { timeout, polling: 100 }, arg);
  } catch (err) {
    throw new Error(`timed out after ${timeout} ms waiting for ${what}`, { cause: err });
  }
}

export const text = (page, selector) => page.$eval(selector, (node) => node.textContent.trim());

/**
 * What a failed run prints besides its error: a screenshot of the page, its status and latest stream events, the
 * browser's problems, the last lines of each Worker (`workers`: [name, server]) and of any other helper (`others`:
 * [name, lines]).
 */
export async function reportFailure(label, { page, problems, workers = [], others = [] }) {
  if (page) {
    const failure = join(tmpdir(), `${label}-failure-${Date.now()}.png`);
    await page.screenshot({ path: failure, fullPage: true }).catch(() => undefined);
    const events = await page
      .$$eval("#events li", (items) => items.map((li) => li.textContent).slice(-30))
      .catch(() => []);
    console.error(
      `[${label}] failure screenshot: ${failure}\n[${label}] page status: ` +
        `${await text(page, "#status").catch(() => "?")}\n[${label}] stream events:\n  ${events.join("\n  ")}`,
    );
  }
  console.error(`[${label}] browser problems:\n  ${problems.join("\n  ") || "(none)"}`);
  for (const [name, worker] of workers)
    if (worker) console.error(`[${label}] Worker (${name}), last lines:\n  ${worker.logTail.slice(-25).join("\n  ")}`);
  for (const [name, lines] of others) console.error(`[${label}] ${name}, last lines:\n  ${lines.join("\n  ")}`);
}

/** Types the key into its field and submits it with Enter, as a user does; waits until the page took it. */
export async function enterKey(page, key) {
  await page.focus("#api-key");
  await page.keyboard.type(key);
  await page.keyboard.press("Enter");
  await waitFor(page, "the key to be taken", () =>
    document.querySelector("#key-state").textContent.startsWith("Key set"),
  );
}

/** Tab from the language field to "Start call", Enter; waits for the call to be live and returns its id. */
export async function startCallWithKeyboard(page) {
  await page.focus("#language");
  await tabTo(page, "#start-call");
  await page.keyboard.press("Enter");
  await waitFor(
    page,
    "the call to be live",
    () => document.querySelector("main").dataset.callState === "live",
    undefined,
    60_000,
  );
  return page.$eval("#live-call-id", (node) => node.value);
}
