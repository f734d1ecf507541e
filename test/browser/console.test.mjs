#!/usr/bin/env node
// Browser test of the web console (`npm run test:browser`; not part of vitest): Debian's headless
// Chromium, driven by puppeteer-core, against a `wrangler dev` of its own (bench/lib/dev-server.mjs:
// a snapshot of the source, a temporary state directory, the D1 migrations applied).
//
// The microphone is Chromium's fake capture device fed from a WAV: the keypad fixture
// (test/fixtures/audio/dtmf-1234H-8k.wav, keys 1234#) with LEAD_SILENCE_S of silence before it,
// played once (`%noloop`) from the moment the page opens the microphone. The page is driven with
// the keyboard: the key is typed and submitted, "Start call" is reached with Tab, push-to-talk is
// Space held on its button while the tones play, the other controls are pressed with Enter.
//
// It checks: security headers on the page; every control labelled; the call starts and streams;
// the keys are heard one by one and become the turn `1234#`; its intent, reply, per-stage
// latency, and reply audio that played to the end; a typed turn; ending the call; the call list
// with paging; the call's history and recording (a playable WAV); a reload restoring the key and
// the open call; no CSP violation or page error anywhere. A screenshot goes to docs/console.png
// (CONSOLE_SCREENSHOT=path to write it elsewhere).
//
//   CHROMIUM_PATH=/usr/bin/chromium npm run test:browser      (the default path)
//   CONSOLE_TEST_HEADFUL=1 npm run test:browser               (watch it, with a display)
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";
import { ROOT, startDevServer } from "../../bench/lib/dev-server.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOT = process.env.CONSOLE_SCREENSHOT ?? join(ROOT, "docs", "console.png");
const ADMIN_TOKEN = "console-test-admin-token-0123456789";
const FIXTURE = join(ROOT, "test", "fixtures", "audio", "dtmf-1234H-8k.wav");
/** Silence before the tones: the time the test has, once the page opened the microphone, to press the button. */
const LEAD_SILENCE_S = 4;
const TRAIL_SILENCE_S = 1;
/**
 * Calls made over the API besides the console's own: a page of the list (the console asks for 10), so that it has a
 * second.
 */
const EXTRA_CALLS = 10;
const TOTAL_TIMEOUT_MS = 5 * 60_000;

const started = performance.now();
/** Undo steps of the run (browser, server, temporary files), also taken when the run times out. */
const cleanups = [];
async function cleanUp() {
  for (const step of cleanups.splice(0).reverse()) await step().catch(() => undefined);
}
const log = (message) =>
  console.log(`[console-test +${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`);

/** The keypad fixture as a PCM WAV with silence around it (same rate, mono 16-bit). */
function fakeMicrophoneWav() {
  const wav = readFileSync(FIXTURE);
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
  const pcm = Buffer.concat([silence(LEAD_SILENCE_S), data, silence(TRAIL_SILENCE_S)]);
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

async function api(base, path, { method = "GET", token, body } = {}) {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/** Presses Tab until `selector` has focus (at most `limit` times): the control is in the tab order. */
async function tabTo(page, selector, limit = 12) {
  for (let i = 0; i < limit; i++) {
    if (await page.$eval(selector, (node) => node === document.activeElement)) return;
    await page.keyboard.press("Tab");
  }
  assert.fail(`${selector} was not reached with Tab in ${limit} presses`);
}

async function waitFor(page, what, fn, arg, timeout = 30_000) {
  try {
    return await page.waitForFunction(fn, { timeout, polling: 100 }, arg);
  } catch (err) {
    throw new Error(`timed out after ${timeout} ms waiting for ${what}`, { cause: err });
  }
}

const text = (page, selector) => page.$eval(selector, (node) => node.textContent.trim());

async function run() {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  const tmp = mkdtempSync(join(tmpdir(), "voice-edge-console-test-"));
  const micWav = join(tmp, "microphone.wav");
  cleanups.push(async () => rmSync(tmp, { recursive: true, force: true }));
  writeFileSync(micWav, fakeMicrophoneWav());

  log("starting wrangler dev");
  const server = await startDevServer({
    label: "console-test",
    assets: true, // the web console is what this test opens
    vars: [
      `ADMIN_TOKEN=${ADMIN_TOKEN}`,
      "ARCHIVE_KEYS=test:dm9pY2UtZWRnZSBjb25zb2xlIHRlc3Qga2V5IDAxMjM=",
      "DEV_EMULATE_JURISDICTION=true",
    ],
    migrate: true,
  });
  cleanups.push(() => server.stop());
  let browser;
  let page;
  const problems = [];
  try {
    log(`wrangler dev on ${server.base}`);
    const { key } = await api(server.base, "/api/v1/admin/keys", {
      method: "POST",
      token: ADMIN_TOKEN,
      body: { tenantId: "console-test", scopes: ["calls:write", "calls:read"], name: "console test" },
    });

    browser = await puppeteer.launch({
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
    cleanups.push(() => browser.close());
    page = await browser.newPage();
    // The machine may be busy (CI, or a test suite next door): generous, but bounded.
    page.setDefaultTimeout(60_000);
    page.setDefaultNavigationTimeout(90_000);
    page.on("console", (message) => {
      const line = `console.${message.type()}: ${message.text()}`;
      if (message.type() === "error" && !/status of 404/.test(message.text())) problems.push(line);
      if (process.env.CONSOLE_TEST_VERBOSE) log(line);
    });
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));

    // The page and its security headers.
    const response = await page.goto(`${server.base}/console`, { waitUntil: "load" });
    assert.equal(response.status(), 200);
    assert.match(page.url(), /\/console\/$/, "/console redirects to /console/");
    const csp = response.headers()["content-security-policy"] ?? "";
    for (const part of [
      "default-src 'none'",
      "script-src 'self'",
      "connect-src 'self'",
      "media-src 'self' blob:",
      "frame-ancestors 'none'",
    ])
      assert.ok(csp.includes(part), `CSP has ${part}: ${csp}`);
    assert.equal(response.headers()["x-content-type-options"], "nosniff");
    assert.match(response.headers()["permissions-policy"] ?? "", /microphone=\(self\)/);

    // Every control has an accessible name.
    const unnamed = await page.$$eval("input, select, button, textarea, meter", (nodes) =>
      nodes
        .filter(
          (node) =>
            !(node.type === "hidden") &&
            !(
              node.labels?.length ||
              node.getAttribute("aria-label") ||
              (node.tagName === "BUTTON" && node.textContent.trim())
            ),
        )
        .map((node) => node.id || node.outerHTML.slice(0, 60)),
    );
    assert.deepEqual(unnamed, [], "controls without a label");

    // The key: typed into its field and submitted with Enter.
    log("entering the key");
    await page.focus("#api-key");
    await page.keyboard.type(key);
    await page.keyboard.press("Enter");
    await waitFor(page, "the key to be taken", () =>
      document.querySelector("#key-state").textContent.startsWith("Key set"),
    );
    assert.equal(await page.evaluate(() => sessionStorage.getItem("voice-edge.console.apiKey")), key);
    assert.equal(await page.$eval("#api-key", (node) => node.value), "", "the key field is cleared");

    // A call: Tab from the language field to "Start call", Enter.
    log("starting a call");
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
    const callId = await page.$eval("#live-call-id", (node) => node.value);
    assert.match(callId, /^[A-Za-z0-9_-]+$/);
    log(`call ${callId} is live`);
    assert.equal(
      await page.$eval("#ptt", (node) => node.disabled),
      false,
      "push-to-talk is enabled (the microphone opened)",
    );

    // Push-to-talk: Space held on the button while the fake microphone plays the keys.
    await page.focus("#ptt");
    await page.keyboard.down("Space");
    assert.equal(await page.$eval("#ptt", (node) => node.getAttribute("aria-pressed")), "true");
    log("talking: holding Space while the keypad tones play");
    // Pressed within LEAD_SILENCE_S of the microphone opening, the button catches every key; later, the first ones are
    // missed.
    await waitFor(
      page,
      "the keys 1234# to be heard",
      () => document.querySelector("#keys-heard").value === "1234#",
      undefined,
      LEAD_SILENCE_S * 1000 + 15_000,
    ).catch(async (err) => {
      throw new Error(`${err.message} (heard "${await page.$eval("#keys-heard", (node) => node.value)}")`, {
        cause: err,
      });
    });
    await page.keyboard.up("Space");
    assert.equal(await page.$eval("#ptt", (node) => node.getAttribute("aria-pressed")), "false");
    log("keys heard: 1234#");

    // The keypad turn: transcript, intent, reply, latency, and its audio played to the end.
    await waitFor(page, "the keypad turn in the transcript", () =>
      [...document.querySelectorAll("#transcript li.caller")].some(
        (li) => li.querySelector(".text")?.textContent === "1234#",
      ),
    );
    await waitFor(page, "turn-1's reply and metrics", () => {
      const row = document.querySelector('#turns tr[data-turn-id="turn-1"]');
      return row?.dataset.metrics === "true" && document.querySelector('#transcript li.agent[data-turn-id="turn-1"]');
    });
    const turn1 = await page.$eval('#turns tr[data-turn-id="turn-1"]', (row) =>
      [...row.cells].map((cell) => cell.textContent.trim()),
    );
    log(`turn-1: ${turn1.join(" | ")}`);
    assert.equal(turn1[1], "1234#");
    assert.ok(turn1[2].length > 0, "turn-1 has an intent");
    for (const cell of turn1.slice(4, 8)) assert.match(cell, /^\d+$/, "per-stage latency in ms");
    const replyText = await text(page, '#transcript li.agent[data-turn-id="turn-1"] .text');
    assert.ok(replyText.length > 0, "turn-1 has a reply text");
    await waitFor(
      page,
      "turn-1's reply audio to play to the end",
      () => Number(document.querySelector('#turns tr[data-turn-id="turn-1"]')?.dataset.playedMs) > 0,
      undefined,
      30_000,
    );
    const played = await page.$eval("#player", (node) => ({
      ms: Number(node.dataset.playedMs),
      bytes: Number(node.dataset.receivedBytes),
      text: node.textContent,
    }));
    assert.ok(played.bytes > 0 && played.ms > 0, `reply audio received and played: ${JSON.stringify(played)}`);
    log(`reply "${replyText}"; ${played.text} (${played.bytes} bytes received in all)`);

    // A typed turn, the fallback without a microphone.
    log("typing a turn");
    await page.focus("#text-input");
    await page.keyboard.type("what is my account balance");
    await page.keyboard.press("Enter");
    await waitFor(
      page,
      "turn-2's reply and metrics",
      () =>
        document.querySelector('#turns tr[data-turn-id="turn-2"]')?.dataset.metrics === "true" &&
        document.querySelector('#transcript li.agent[data-turn-id="turn-2"]'),
    );

    // End the call with the keyboard: the page shows the ended call's history.
    log("ending the call");
    await page.focus("#end-call");
    await page.keyboard.press("Enter");
    await waitFor(page, "the call to end", () => document.querySelector("main").dataset.callState === "ended");
    assert.match(await text(page, "#live-state"), /ended/);

    // The list shows it ended; its history, opened from the list.
    log("browsing the calls");
    await page.focus("#refresh-calls");
    await page.keyboard.press("Enter");
    await waitFor(
      page,
      "the call, ended, in the list",
      (id) => document.querySelector(`#calls tr[data-call-id="${id}"] td`)?.textContent === "ended",
      callId,
    );
    await page.focus(`#calls button[data-call-id="${callId}"]`);
    await page.keyboard.press("Enter");
    await waitFor(
      page,
      "the call's history",
      (id) =>
        document.querySelector("#detail-section").dataset.callId === id &&
        !document.querySelector("#detail-section").hidden,
      callId,
    );
    const history = await page.$$eval("#history li", (items) =>
      items.map((li) => li.querySelector(".text")?.textContent),
    );
    assert.ok(history.includes("1234#"), `history has the keypad turn: ${JSON.stringify(history)}`);
    assert.ok(history.includes(replyText), "history has the reply");
    assert.ok(history.includes("what is my account balance"), "history has the typed turn");

    // Its recording, fetched with the key and played from a blob: URL.
    log("loading the recording");
    await page.focus("#load-recording");
    await page.keyboard.press("Enter");
    await waitFor(
      page,
      "the recording's metadata",
      () => Number(document.querySelector("#recording").dataset.durationMs) > 0,
      undefined,
      30_000,
    );
    const recording = await page.$eval("#recording", (audio) => ({
      src: audio.src,
      ms: Number(audio.dataset.durationMs),
      hidden: audio.hidden,
    }));
    assert.match(recording.src, /^blob:/);
    assert.equal(recording.hidden, false);
    assert.ok(recording.ms > 500, `recording lasts ${recording.ms} ms`);
    await page.$eval("#recording", (audio) => audio.play());
    await waitFor(
      page,
      "the recording to play",
      () => document.querySelector("#recording").currentTime > 0.2,
      undefined,
      10_000,
    );
    await page.$eval("#recording", (audio) => audio.pause());
    log(`recording: ${await text(page, "#recording-status")}`);

    // Screenshot for the README: the ended call's transcript, latency, the list and its history.
    await page.evaluate(() => {
      document.activeElement?.blur();
      document.querySelector("details")?.removeAttribute("open");
    });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    log(`screenshot: ${SCREENSHOT}`);

    // Paging: more calls (over the API) than a page holds; the console's call is on the second page.
    for (let i = 0; i < EXTRA_CALLS; i++)
      await api(server.base, "/api/v1/calls?reply=text", { method: "POST", token: key, body: { metadata: { n: i } } });
    await page.focus("#refresh-calls");
    await page.keyboard.press("Enter");
    await waitFor(
      page,
      "a first page of 10 calls",
      (id) =>
        document.querySelectorAll("#calls tbody tr[data-call-id]").length === 10 &&
        !document.querySelector(`#calls tr[data-call-id="${id}"]`) &&
        !document.querySelector("#more-calls").hidden,
      callId,
    );
    await page.focus("#more-calls");
    await page.keyboard.press("Enter");
    await waitFor(
      page,
      "the second page of calls",
      ({ id, total }) =>
        document.querySelectorAll("#calls tbody tr[data-call-id]").length === total &&
        document.querySelector(`#calls tr[data-call-id="${id}"]`),
      { id: callId, total: EXTRA_CALLS + 1 },
    );
    assert.equal(await page.$eval("#more-calls", (node) => node.hidden), true, "no third page");

    // A reload keeps the key (this tab's sessionStorage) and reopens the call from the URL.
    await page.reload({ waitUntil: "load" });
    await waitFor(
      page,
      "the call reopened after a reload",
      (id) => document.querySelector("#detail-section").dataset.callId === id,
      callId,
    );

    assert.deepEqual(problems, [], "no CSP violation, console error or page error");
    log("passed");
  } catch (err) {
    if (page) {
      const failure = join(tmpdir(), `console-test-failure-${Date.now()}.png`);
      await page.screenshot({ path: failure, fullPage: true }).catch(() => undefined);
      const events = await page
        .$$eval("#events li", (items) => items.map((li) => li.textContent).slice(-30))
        .catch(() => []);
      console.error(
        `[console-test] failure screenshot: ${failure}\n[console-test] page status: ` +
          `${await text(page, "#status").catch(() => "?")}\n[console-test] stream events:\n  ${events.join("\n  ")}`,
      );
    }
    console.error(`[console-test] browser problems:\n  ${problems.join("\n  ") || "(none)"}`);
    console.error(`[console-test] wrangler dev, last lines:\n  ${server.logTail.slice(-25).join("\n  ")}`);
    throw err;
  }
}

const timeout = setTimeout(async () => {
  console.error(`[console-test] gave up after ${TOTAL_TIMEOUT_MS / 1000} s`);
  await Promise.race([cleanUp(), new Promise((resolve) => setTimeout(resolve, 15_000))]);
  process.exit(1);
}, TOTAL_TIMEOUT_MS);
try {
  await run();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await cleanUp();
  clearTimeout(timeout);
}
