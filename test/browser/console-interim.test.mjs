#!/usr/bin/env node
// Browser test of the web console's interim transcripts (`npm run test:browser`, after console.test.mjs; not part
// of vitest): Debian's headless Chromium, driven by puppeteer-core, against a `wrangler dev` of its own
// (bench/lib/dev-server.mjs) whose live streams recognise speech while it is spoken (docs/streaming.md):
// STT_STREAMING_PROVIDERS=deepgram with DEEPGRAM_BASE_URL pointing at bench/lib/fake-stt-stream.mjs, a fake
// Deepgram /v1/listen socket that hears speech by energy and sends an interim `Results` per 300 ms of it ("I",
// "I want", "I want to"...), then the whole TRANSCRIPT, final, END_OF_TURN_MS after the speech. The Worker has no
// batch recogniser (STT_PROVIDERS is empty), so a spoken turn's words can only come from that socket.
//
// The microphone is Chromium's fake capture device fed from a WAV: the speech fixture
// test/fixtures/audio/agent-16k.wav (loud enough for the fake: most of its 10 ms blocks are above -40 dBFS) with
// LEAD_SILENCE_S of silence before it, played once (`%noloop`) from the moment the page opens the microphone.
// Shared helpers (harness, fake microphone, Chromium, the page's error watch): lib.mjs.
//
// It checks, in a flow call (no agent) started with the keyboard and push-to-talk held with Space over the speech:
// a caller's interim line (li.interim) shows the fake's partial words while the caller speaks, before the turn's
// final transcript; every interim is a growing word prefix of TRANSCRIPT, at least two of them partial; the final
// transcript replaces the interim line (one caller line, turn-1, "spoke", no li.interim left, never both at once);
// the flow answers it (intent human_agent, the flow's reply to it, per-stage latency); the fake ended exactly one
// turn; the ended call's history has the caller's words once; no CSP violation or page error. Every state of the
// transcript is recorded in the page (a MutationObserver) with its time, so "before the final" is what the page
// showed, not a guess. CONSOLE_INTERIM_SCREENSHOT=path writes a screenshot of the page showing an interim line of
// three words (docs/console-interim.png is one).
//
//   npx node test/browser/console-interim.test.mjs      (this part alone, with npm's Node 22 as wrangler needs)
//   CHROMIUM_PATH=..., CONSOLE_TEST_HEADFUL=1, CONSOLE_TEST_VERBOSE=1 as for console.test.mjs
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, startDevServer } from "../../bench/lib/dev-server.mjs";
import { startFakeSttStream } from "../../bench/lib/fake-stt-stream.mjs";
import {
  BASE_VARS,
  consoleKey,
  enterKey,
  fakeMicrophoneWav,
  harness,
  launchChromium,
  reportFailure,
  startCallWithKeyboard,
  text,
  waitFor,
  watchPage,
} from "./lib.mjs";

const FIXTURE = join(ROOT, "test", "fixtures", "audio", "agent-16k.wav");
/** Silence before the speech: the time the test has, once the page opened the microphone, to press the button. */
const LEAD_SILENCE_S = 4;
const TRAIL_SILENCE_S = 1;
/** What the fake recogniser hears, word by word, and its end of turn after the speech (as bench:stream's). */
const TRANSCRIPT = "I want to talk to an agent";
const END_OF_TURN_MS = 250;
/** The default flow's intent for TRANSCRIPT, and its reply. */
const FLOW = JSON.parse(readFileSync(join(ROOT, "src", "nlp", "flows", "contact-center.json"), "utf8"));
const INTENT = FLOW.intents.find((intent) => intent.name === "human_agent");
const TOTAL_TIMEOUT_MS = 3 * 60_000;

const { log, cleanups, main } = harness("console-interim-test", { timeoutMs: TOTAL_TIMEOUT_MS });

/** How much of a 16 kHz PCM16 WAV (44-byte header) the fake hears as speech: its 10 ms blocks at -40 dBFS or more. */
function voicedMs(wav) {
  const block = 160;
  let voiced = 0;
  for (let at = 44; at + block * 2 <= wav.length; at += block * 2) {
    let energy = 0;
    for (let i = at; i < at + block * 2; i += 2) energy += (wav.readInt16LE(i) / 32768) ** 2;
    if (10 * Math.log10(energy / block + 1e-12) >= -40) voiced += 10;
  }
  return voiced;
}

async function run() {
  const tmp = mkdtempSync(join(tmpdir(), "voice-edge-console-interim-test-"));
  const micWav = join(tmp, "microphone.wav");
  cleanups.push(async () => rmSync(tmp, { recursive: true, force: true }));
  const wav = fakeMicrophoneWav(FIXTURE, { leadS: LEAD_SILENCE_S, trailS: TRAIL_SILENCE_S });
  assert.equal(wav.readUInt32LE(24), 16000, "the speech fixture is 16 kHz, the rate the fake measures");
  const speechMs = voicedMs(wav);
  // Enough for three interims (one per 300 ms of speech), so two partial ones show even if the first is missed.
  assert.ok(speechMs >= 900, `the fixture is loud enough for the fake recogniser: ${speechMs} ms voiced`);
  writeFileSync(micWav, wav);

  const fake = await startFakeSttStream({ endOfTurnMs: END_OF_TURN_MS, transcript: TRANSCRIPT });
  cleanups.push(() => fake.close());
  log(`fake Deepgram at ${fake.url} (${speechMs} ms of the fixture is speech to it); starting the Worker`);
  const server = await startDevServer({
    label: "console-interim-test",
    assets: true, // the web console is what this test opens
    vars: [...BASE_VARS, "STT_STREAMING_PROVIDERS=deepgram", `DEEPGRAM_BASE_URL=${fake.url}`],
    migrate: true,
  });
  cleanups.push(() => server.stop());
  let page;
  const problems = [];
  try {
    log(`Worker on ${server.base}`);
    const key = await consoleKey(server.base, "console-interim-test");
    const browser = await launchChromium(micWav);
    cleanups.push(() => browser.close());
    page = await browser.newPage();
    watchPage(page, "[interim]", { problems, log });
    const response = await page.goto(`${server.base}/console/`, { waitUntil: "load" });
    assert.equal(response.status(), 200);

    await enterKey(page, key);
    assert.equal(await page.$eval("#agent", (node) => node.value), "", "no agent: the call runs the flow");

    log("starting a call");
    const callId = await startCallWithKeyboard(page);
    assert.equal(await page.$eval("#ptt", (node) => node.disabled), false, "push-to-talk is enabled");

    // Every state of the live transcript from now on, with its time: the interim line's text (null: none), how many
    // interim lines there are, and the caller's final lines.
    await page.evaluate(() => {
      const transcript = document.querySelector("#transcript");
      const seen = (globalThis.transcriptStates = []);
      const record = () => {
        const interims = transcript.querySelectorAll("li.interim");
        const state = {
          ms: Math.round(performance.now()),
          interim: interims[0]?.querySelector(".text").textContent ?? null,
          interims: interims.length,
          finals: [...transcript.querySelectorAll("li.caller:not(.interim)")].map((li) => ({
            text: li.querySelector(".text").textContent,
            turnId: li.dataset.turnId ?? null,
          })),
        };
        const last = seen.at(-1);
        const same = (a, b) => JSON.stringify({ ...a, ms: 0 }) === JSON.stringify({ ...b, ms: 0 });
        if (!last || !same(last, state)) seen.push(state);
      };
      record();
      new globalThis.MutationObserver(record).observe(transcript, {
        childList: true,
        subtree: true,
        characterData: true,
      });
    });

    // Push-to-talk: Space held on the button over the speech, until the turn's final transcript came.
    await page.focus("#ptt");
    const pressedAt = await page.evaluate(() => performance.now());
    await page.keyboard.down("Space");
    assert.equal(await page.$eval("#ptt", (node) => node.getAttribute("aria-pressed")), "true");
    log("talking: holding Space while the speech plays");
    await waitFor(
      page,
      "an interim line",
      () => document.querySelector("#transcript li.caller.interim"),
      undefined,
      LEAD_SILENCE_S * 1000 + 15_000,
    );
    if (process.env.CONSOLE_INTERIM_SCREENSHOT) {
      // A few words in, while the caller still speaks.
      await waitFor(page, "an interim line of three words", () => {
        const line = document.querySelector("#transcript li.interim .text");
        return line && line.textContent.split(" ").length >= 3;
      });
      await page.$eval("#transcript li.interim", (li) => li.scrollIntoView({ block: "center" }));
      await page.screenshot({ path: process.env.CONSOLE_INTERIM_SCREENSHOT });
      log(`screenshot: ${process.env.CONSOLE_INTERIM_SCREENSHOT}`);
    }
    await waitFor(
      page,
      "the turn's final transcript",
      () => document.querySelector('#transcript li.caller[data-turn-id="turn-1"]'),
      undefined,
      15_000,
    );
    await page.keyboard.up("Space");
    assert.equal(await page.$eval("#ptt", (node) => node.getAttribute("aria-pressed")), "false");

    await waitFor(page, "turn-1's reply and metrics", () => {
      const row = document.querySelector('#turns tr[data-turn-id="turn-1"]');
      return row?.dataset.metrics === "true" && document.querySelector('#transcript li.agent[data-turn-id="turn-1"]');
    });
    const states = await page.evaluate(() => globalThis.transcriptStates);
    const at = (state) => `+${Math.round(state.ms - pressedAt)} ms`;
    for (const state of states)
      log(`  ${at(state)}: interim ${JSON.stringify(state.interim)}, finals ${JSON.stringify(state.finals)}`);

    // The interim line came first, with the fake's partial words, growing.
    const first = states.findIndex((state) => state.finals.length > 0);
    assert.ok(first > 0, "the final transcript came after Space went down");
    const before = states.slice(0, first).filter((state) => state.interim !== null);
    const interims = [...new Set(before.map((state) => state.interim))];
    const prefixes = TRANSCRIPT.split(" ").map((_, i, words) => words.slice(0, i + 1).join(" "));
    assert.ok(interims.length > 0, `an interim line showed before the final transcript: ${JSON.stringify(states)}`);
    for (const interim of interims)
      assert.ok(prefixes.includes(interim), `${JSON.stringify(interim)} is one of the fake's word prefixes`);
    for (let i = 1; i < interims.length; i++)
      assert.ok(interims[i].startsWith(interims[i - 1]), `the interim grew: ${JSON.stringify(interims)}`);
    const partial = interims.filter((interim) => interim.length < TRANSCRIPT.length);
    assert.ok(partial.length >= 2, `at least two partial interims: ${JSON.stringify(interims)}`);
    assert.ok(
      states.every((state) => state.interims <= 1 && !(state.interim !== null && state.finals.length)),
      `one interim line at most, and never beside the final: ${JSON.stringify(states)}`,
    );

    // Then the final transcript replaced it: one caller line, the turn's.
    const callers = await page.$$eval("#transcript li.caller", (items) =>
      items.map((li) => ({
        className: li.className,
        turnId: li.dataset.turnId ?? null,
        source: li.querySelector(".source")?.textContent ?? null,
        text: li.querySelector(".text").textContent,
      })),
    );
    assert.deepEqual(callers, [{ className: "caller", turnId: "turn-1", source: " (spoke)", text: TRANSCRIPT }]);
    assert.equal(await page.$$eval("#transcript .interim", (items) => items.length), 0, "no interim line is left");
    log(
      `interims ${JSON.stringify(interims)} from ${at(before[0])}; final at ${at(states[first])} ` +
        `(${states[first].ms - before.at(-1).ms} ms after the last interim)`,
    );

    // The flow answered the fake's words.
    const row = await page.$eval('#turns tr[data-turn-id="turn-1"]', (tr) =>
      [...tr.cells].map((cell) => cell.textContent.trim()),
    );
    log(`turn-1: ${row.join(" | ")}`);
    assert.equal(row[1], TRANSCRIPT);
    assert.equal(row[2], INTENT.name);
    for (const cell of row.slice(4, 8)) assert.match(cell, /^\d+$/, "per-stage latency in ms");
    const reply = await text(page, '#transcript li.agent[data-turn-id="turn-1"] .text');
    assert.equal(reply, INTENT.reply);
    assert.equal(fake.stats().turns, 1, `the fake ended one turn: ${JSON.stringify(fake.stats())}`);

    // The ended call's history has the caller's words once (interims are not stored).
    log("ending the call");
    await page.focus("#end-call");
    await page.keyboard.press("Enter");
    await waitFor(
      page,
      "the ended call's history",
      (id) =>
        document.querySelector("main").dataset.callState === "ended" &&
        document.querySelector("#detail-section").dataset.callId === id &&
        document.querySelector("#history li.agent"),
      callId,
    );
    const history = await page.$$eval("#history li.caller .text", (items) => items.map((node) => node.textContent));
    assert.deepEqual(history, [TRANSCRIPT], "the history's caller turns");

    assert.deepEqual(problems, [], "no CSP violation, console error or page error");
    log("passed");
  } catch (err) {
    await reportFailure("console-interim-test", {
      page,
      problems,
      workers: [["streaming STT", server]],
      others: [["fake Deepgram", [JSON.stringify(fake.stats())]]],
    });
    throw err;
  }
}

await main(run);
