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
// It checks: security headers on the page; every control labelled; the agent picker lists the
// tenant's agent (made over the API before the page loads), picking it turns the flow choice off,
// and starting its call is refused with the server's 503 llm_not_configured detail in the alert (this
// Worker has no language model); back to "No agent (flow)", the call starts and streams;
// the keys are heard one by one and become the turn `1234#`; its intent, reply, per-stage
// latency, and reply audio that played to the end; a typed turn; ending the call; the call list
// with paging; the call's history and recording (a playable WAV); a reload restoring the key and
// the open call; no CSP violation or page error anywhere. A screenshot goes to docs/console.png
// (CONSOLE_SCREENSHOT=path to write it elsewhere; CONSOLE_AGENT_SCREENSHOT=path also writes one of the agent call).
//
// Then an agent call against a model: a second Worker, started alongside the first, whose language
// model is scripts/agent-demo.mjs (a scripted Chat Completions model and a webhook tool, on free
// ports). Its tenant has no agent at first: the picker says how to make one; one is made over the
// API, "Refresh agents" lists it, and a call with it starts. A typed turn asking for an order shows
// the reply growing sentence by sentence (reply_delta), the webhook tool's line (name, ok, ms; its
// arguments behind a disclosure opened with Enter), no intent; saying goodbye makes the agent call
// end_call and the call ends; the ended call's facts name the agent.
//
// Interim transcripts (streaming speech recognition against a fake Deepgram) are console-interim.test.mjs's, which
// `npm run test:browser` runs next. Helpers both share (harness, fake microphone, Chromium, error watch): lib.mjs.
//
//   CHROMIUM_PATH=/usr/bin/chromium npm run test:browser      (the default path)
//   CONSOLE_TEST_HEADFUL=1 npm run test:browser               (watch it, with a display)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, ROOT, startDevServer } from "../../bench/lib/dev-server.mjs";
import {
  ADMIN_TOKEN,
  api,
  BASE_VARS,
  choose,
  consoleKey,
  enterKey,
  fakeMicrophoneWav,
  harness,
  launchChromium,
  reportFailure,
  startCallWithKeyboard,
  tabTo,
  text,
  waitFor,
  watchPage,
} from "./lib.mjs";

const SCREENSHOT = process.env.CONSOLE_SCREENSHOT ?? join(ROOT, "docs", "console.png");
const FIXTURE = join(ROOT, "test", "fixtures", "audio", "dtmf-1234H-8k.wav");
/** The demo language model and webhook tool (`npm run demo:agent`), started on free ports. */
const AGENT_DEMO = join(ROOT, "scripts", "agent-demo.mjs");
/** Silence before the tones: the time the test has, once the page opened the microphone, to press the button. */
const LEAD_SILENCE_S = 4;
const TRAIL_SILENCE_S = 1;
/**
 * Calls made over the API besides the console's own: a page of the list (the console asks for 10), so that it has a
 * second.
 */
const EXTRA_CALLS = 10;
const TOTAL_TIMEOUT_MS = 5 * 60_000;

const { log, cleanups, main } = harness("console-test", { timeoutMs: TOTAL_TIMEOUT_MS });

/** scripts/agent-demo.mjs on free ports, until both of its servers listen. */
async function startAgentDemo() {
  if (!existsSync(AGENT_DEMO)) throw new Error(`no ${AGENT_DEMO} (the demo model and tool the agent call needs)`);
  const modelPort = await freePort();
  let toolPort = await freePort();
  while (toolPort === modelPort) toolPort = await freePort();
  const child = spawn(process.execPath, [AGENT_DEMO], {
    env: { ...process.env, DEMO_MODEL_PORT: String(modelPort), DEMO_TOOL_PORT: String(toolPort) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines = [];
  const exited = new Promise((resolve) => child.once("exit", resolve));
  let listening = 0;
  const ready = new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`agent-demo exited (${code}): ${lines.join(" | ")}`)));
    for (const stream of [child.stdout, child.stderr])
      stream.setEncoding("utf8").on("data", (chunk) => {
        for (const line of chunk.split("\n").filter(Boolean)) {
          lines.push(line);
          if (lines.length > 40) lines.shift();
          if (/^demo (model|tool):/.test(line) && ++listening === 2) resolve();
        }
      });
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
    }
  };
  try {
    await Promise.race([
      ready,
      new Promise((_, reject) => setTimeout(() => reject(new Error("agent-demo did not listen in 15 s")), 15_000)),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { modelPort, toolPort, lines, stop };
}

async function run() {
  const tmp = mkdtempSync(join(tmpdir(), "voice-edge-console-test-"));
  const micWav = join(tmp, "microphone.wav");
  cleanups.push(async () => rmSync(tmp, { recursive: true, force: true }));
  writeFileSync(micWav, fakeMicrophoneWav(FIXTURE, { leadS: LEAD_SILENCE_S, trailS: TRAIL_SILENCE_S }));

  log("starting the demo model and tool");
  const demo = await startAgentDemo();
  cleanups.push(() => demo.stop());
  log(`demo model on port ${demo.modelPort}, its tool on ${demo.toolPort}; starting two Workers`);
  // Started together: one with no language model (its agent calls are refused), one whose model is the demo's.
  const starts = await Promise.allSettled([
    startDevServer({
      label: "console-test",
      assets: true, // the web console is what this test opens
      vars: BASE_VARS,
      migrate: true,
    }),
    startDevServer({
      label: "console-test-model",
      assets: true,
      vars: [
        ...BASE_VARS,
        "LLM_PROVIDERS=openai",
        `OPENAI_LLM_BASE_URL=http://127.0.0.1:${demo.modelPort}`,
        "ALLOW_PRIVATE_TOOL_URLS=true",
      ],
      migrate: true,
    }),
  ]);
  for (const start of starts) if (start.status === "fulfilled") cleanups.push(() => start.value.stop());
  for (const start of starts) if (start.status === "rejected") throw start.reason;
  const [server, modelServer] = starts.map((start) => start.value);
  let browser;
  let page;
  const problems = [];
  /** Console errors the test causes on purpose (a refused call), each let through once. */
  const expectedErrors = [];
  const watch = (target, label) => watchPage(target, label, { problems, expectedErrors, log });
  try {
    log(`Workers on ${server.base} (no model) and ${modelServer.base} (the demo model)`);
    const key = await consoleKey(server.base, "console-test");
    // An agent of the tenant, made with a key that may write agents (the console's key only reads them).
    const { key: agentsKey } = await api(server.base, "/api/v1/admin/keys", {
      method: "POST",
      token: ADMIN_TOKEN,
      body: { tenantId: "console-test", scopes: ["agents:write"], name: "console test agents" },
    });
    await api(server.base, "/api/v1/agents/support", {
      method: "PUT",
      token: agentsKey,
      body: {
        name: "Support desk",
        instructions: "You help callers with their orders.",
        tools: [{ type: "end_call" }],
      },
    });
    // What the server says to an agent call it cannot serve: the console must show this detail.
    const refusal = await fetch(`${server.base}/api/v1/calls`, {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: JSON.stringify({ agent: "support" }),
    });
    const refusalProblem = await refusal.json();
    assert.equal(refusal.status, 503, JSON.stringify(refusalProblem));
    assert.equal(refusalProblem.code, "llm_not_configured");
    log(`an agent call here is refused: ${refusalProblem.detail}`);

    browser = await launchChromium(micWav);
    cleanups.push(() => browser.close());
    page = await browser.newPage();
    watch(page, "[no model]");

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
    await enterKey(page, key);
    assert.equal(await page.evaluate(() => sessionStorage.getItem("voice-edge.console.apiKey")), key);
    assert.equal(await page.$eval("#api-key", (node) => node.value), "", "the key field is cleared");

    // The agent picker lists the tenant's agent; picking it turns the flow choice off.
    log("picking the agent");
    await waitFor(page, "the agent in the picker", () =>
      [...document.querySelectorAll("#agent option")].some((option) => option.value === "support"),
    );
    const options = await page.$$eval("#agent option", (items) => items.map((o) => [o.value, o.textContent]));
    assert.deepEqual(options, [
      ["", "No agent (flow)"],
      ["support", "Support desk (support, v1)"],
    ]);
    assert.equal(await page.$eval("#flow", (node) => node.disabled), false, "the flow choice is on");
    await choose(page, "#agent", "support");
    assert.equal(await page.$eval("#flow", (node) => node.disabled), true, "an agent turns the flow choice off");
    assert.match(await text(page, "#agent-help"), /Agent support \(version 1\) answers the call/);

    // Its call is refused (no language model here): the alert shows the server's detail.
    log("starting the agent's call (refused: no model)");
    expectedErrors.push(/status of 503/, /llm_not_configured/);
    await tabTo(page, "#start-call");
    await page.keyboard.press("Enter");
    await waitFor(page, "the refusal in the alert", () => !document.querySelector("#error").hidden);
    const alert = await text(page, "#error");
    assert.ok(alert.includes(refusalProblem.detail), `the alert has the detail: ${alert}`);
    assert.match(alert, /\(503 llm_not_configured; request [^)]+\)/);
    assert.equal(await page.$eval("main", (node) => node.dataset.callState), "idle");
    assert.equal(await text(page, "#live-state"), "refused (llm_not_configured)");
    assert.equal(await page.$eval("#start-call", (node) => node.disabled), false, "a call may still be started");
    log(`alert: ${alert}`);

    // Back to the flow.
    await choose(page, "#agent", "");
    assert.equal(await page.$eval("#flow", (node) => node.disabled), false, "no agent: the flow choice is on");

    // A call: Tab from the language field to "Start call", Enter.
    log("starting a call");
    const callId = await startCallWithKeyboard(page);
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
    assert.deepEqual(expectedErrors, [], "the refused agent call was reported (its 503 and the error logged)");

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

    // The agent call, in a page of its own on the other Worker (the failure report shows this page from now on).
    await page.close();
    page = await browser.newPage();
    watch(page, "[model]");
    await agentCall(page, modelServer, demo);

    assert.deepEqual(problems, [], "no CSP violation, console error or page error");
    log("passed");
  } catch (err) {
    await reportFailure("console-test", {
      page,
      problems,
      workers: [
        ["no model", server],
        ["demo model", modelServer],
      ],
      others: [["agent-demo", demo.lines]],
    });
    throw err;
  }
}

/**
 * An agent call on the Worker whose model is the demo's: the empty picker, an agent made over the API and listed
 * with "Refresh agents", a typed turn streamed (reply_delta, tool_call), and the agent hanging up.
 */
async function agentCall(page, server, demo) {
  const tenantId = "console-test-agents";
  const key = await consoleKey(server.base, tenantId);
  const { key: agentsKey } = await api(server.base, "/api/v1/admin/keys", {
    method: "POST",
    token: ADMIN_TOKEN,
    body: { tenantId, scopes: ["agents:write"], name: "console test agents" },
  });

  log("agent call: a tenant without agents");
  await page.goto(`${server.base}/console/`, { waitUntil: "load" });
  await page.focus("#api-key");
  await page.keyboard.type(key);
  await page.keyboard.press("Enter");
  await waitFor(page, "the empty agent list's message", () =>
    document.querySelector("#agent-help").textContent.startsWith("No agents yet"),
  );
  const empty = await text(page, "#agent-help");
  assert.match(empty, /PUT \/api\/v1\/agents\/\{id\}/, `the message says how to make one: ${empty}`);
  assert.match(empty, /docs\/agents\.md/);
  assert.equal(await page.$eval("#agent", (node) => node.options.length), 1, "only No agent (flow)");

  // An agent with a webhook tool (the demo's order lookup) and end_call, then "Refresh agents".
  await api(server.base, "/api/v1/agents/orders", {
    method: "PUT",
    token: agentsKey,
    body: {
      name: "Orders",
      instructions: "You tell callers where their order is. Look it up with lookup_order.",
      tools: [
        {
          type: "webhook",
          name: "lookup_order",
          description: "The status of an order",
          parameters: {
            type: "object",
            properties: { orderId: { type: "string", description: "The order's number" } },
            required: ["orderId"],
          },
          url: `http://127.0.0.1:${demo.toolPort}/order-status`,
        },
        { type: "end_call" },
      ],
    },
  });
  await page.focus("#refresh-agents");
  await page.keyboard.press("Enter");
  await waitFor(page, "the new agent in the picker", () =>
    [...document.querySelectorAll("#agent option")].some((option) => option.value === "orders"),
  );
  await choose(page, "#agent", "orders");
  assert.equal(await page.$eval("#flow", (node) => node.disabled), true);

  log("agent call: starting it");
  const callId = await startCallWithKeyboard(page);
  assert.match(await text(page, "#status"), /with agent orders \(version 1\)/);

  // Every text the agent's line of turn-1 shows while it streams.
  await page.evaluate(() => {
    globalThis.agentTexts = [];
    new globalThis.MutationObserver(() => {
      const line = document.querySelector('#transcript li.agent[data-turn-id="turn-1"] .text');
      if (line && line.textContent !== globalThis.agentTexts.at(-1)) globalThis.agentTexts.push(line.textContent);
    }).observe(document.querySelector("#transcript"), { childList: true, subtree: true, characterData: true });
  });

  log("agent call: asking for an order");
  await page.focus("#text-input");
  await page.keyboard.type("where is my order 12345");
  await page.keyboard.press("Enter");
  await waitFor(
    page,
    "turn-1's streamed reply, tool line and metrics",
    () =>
      document.querySelector('#turns tr[data-turn-id="turn-1"]')?.dataset.metrics === "true" &&
      document.querySelector('#transcript li.agent[data-turn-id="turn-1"]:not(.streaming) li.tool'),
    undefined,
    60_000,
  );
  const turn = await page.$eval('#transcript li.agent[data-turn-id="turn-1"]', (li) => ({
    text: li.querySelector(".text").textContent,
    deltas: Number(li.dataset.deltas),
    tools: [...li.querySelectorAll("li.tool")].map((tool) => ({
      name: tool.dataset.tool,
      ok: tool.dataset.ok,
      summary: tool.querySelector("summary").textContent,
      open: tool.querySelector("details").open,
      args: tool.querySelector(".args").textContent,
    })),
  }));
  const texts = await page.evaluate(() => globalThis.agentTexts);
  log(`turn-1: ${turn.deltas} deltas, "${turn.text}"; tools ${JSON.stringify(turn.tools.map((t) => t.summary))}`);
  assert.match(turn.text, /shipped/, "the reply reads back the tool's answer");
  assert.ok(turn.deltas >= 2, `the reply came in pieces: ${turn.deltas}`);
  assert.ok(
    texts.some((seen) => seen && seen.length < turn.text.length && turn.text.startsWith(seen)),
    `the reply grew while it streamed: ${JSON.stringify(texts)}`,
  );
  assert.equal(turn.tools.length, 1, `one tool call in turn-1: ${JSON.stringify(turn.tools)}`);
  const [tool] = turn.tools;
  assert.equal(tool.name, "lookup_order");
  assert.equal(tool.ok, "true");
  assert.match(tool.summary, /^Tool lookup_order: ok, \d+ ms$/);
  assert.equal(tool.open, false, "the arguments are collapsed");
  assert.deepEqual(JSON.parse(tool.args), { orderId: "12345" });
  // The arguments open with the keyboard.
  await page.focus('#transcript li.tool[data-tool="lookup_order"] summary');
  await page.keyboard.press("Enter");
  assert.equal(await page.$eval('#transcript li.tool[data-tool="lookup_order"] details', (node) => node.open), true);
  const row = await page.$eval('#turns tr[data-turn-id="turn-1"]', (tr) =>
    [...tr.cells].map((cell) => cell.textContent.trim()),
  );
  assert.equal(row[1], "where is my order 12345");
  assert.equal(row[2], "none (agent)", "an agent's turn has no intent");
  for (const cell of row.slice(4, 6)) assert.match(cell, /^\d+$/, "per-stage latency in ms");
  await waitFor(
    page,
    "turn-1's reply audio",
    () => Number(document.querySelector("#player").dataset.receivedBytes) > 0,
  );

  // Goodbye: the demo model calls end_call, and the call ends.
  log("agent call: saying goodbye");
  await page.focus("#text-input");
  await page.keyboard.type("that's all, goodbye");
  await page.keyboard.press("Enter");
  await waitFor(page, "the agent to end the call", () => document.querySelector("main").dataset.callState === "ended");
  const ended = await text(page, "#live-state");
  const goodbye = await page.$$eval('#transcript li.agent[data-turn-id="turn-2"] li.tool', (items) =>
    items.map((item) => item.dataset.tool),
  );
  log(`agent call ${callId}: ${ended}; turn-2 tools ${JSON.stringify(goodbye)}`);
  assert.deepEqual(goodbye, ["end_call"]);
  await waitFor(
    page,
    "the ended agent call's facts",
    (id) => document.querySelector("#detail-section").dataset.callId === id,
    callId,
  );
  const facts = await text(page, "#detail-facts");
  assert.match(facts, /Agentorders \(version 1\)/, `the facts name the agent: ${facts}`);
  if (process.env.CONSOLE_AGENT_SCREENSHOT) {
    await page.evaluate(() => document.activeElement?.blur());
    await page.screenshot({ path: process.env.CONSOLE_AGENT_SCREENSHOT, fullPage: true });
    log(`agent call screenshot: ${process.env.CONSOLE_AGENT_SCREENSHOT}`);
  }
}

await main(run);
