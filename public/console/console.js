// voice-edge web console: plain ES modules, no framework. The API goes through the typed client
// (voice-edge-client.js, bundled from client/ by `npm run build:client`); audio is in audio.js.
import { createVoiceEdgeClient, openCallStream, VoiceEdgeError } from "./voice-edge-client.js";
import { audioContext, Microphone, ReplyPlayer, STREAM_RATE } from "./audio.js";

const KEY_STORAGE = "voice-edge.console.apiKey";
/** The server ends a keypad turn after this much caller audio without a key (DTMF_INTERDIGIT_MS). */
const KEYPAD_TIMEOUT_MS = 2500;
const FRAME_MS = 20;
const FRAME_BYTES = (STREAM_RATE * 2 * FRAME_MS) / 1000;
const CALLS_PAGE = 10;
/** GET /api/v1/agents pages of this many agents (its maximum), up to AGENT_PAGES of them. */
const AGENTS_PAGE = 100;
const AGENT_PAGES = 10;
const MAX_EVENTS = 200;

const $ = (id) => document.getElementById(id);
const ui = {
  main: $("main"),
  status: $("status"),
  error: $("error"),
  keyForm: $("key-form"),
  keyInput: $("api-key"),
  keyState: $("key-state"),
  forgetKey: $("forget-key"),
  callForm: $("call-form"),
  language: $("language"),
  agent: $("agent"),
  refreshAgents: $("refresh-agents"),
  agentHelp: $("agent-help"),
  flow: $("flow"),
  echoCancellation: $("echo-cancellation"),
  startCall: $("start-call"),
  endCall: $("end-call"),
  liveCallId: $("live-call-id"),
  liveState: $("live-state"),
  ptt: $("ptt"),
  micLevel: $("mic-level"),
  keysHeard: $("keys-heard"),
  textForm: $("text-form"),
  textInput: $("text-input"),
  dtmfForm: $("dtmf-form"),
  dtmfInput: $("dtmf-input"),
  player: $("player"),
  transcript: $("transcript"),
  turns: $("turns").tBodies[0],
  events: $("events"),
  callsForm: $("calls-form"),
  callsStatus: $("calls-status"),
  refreshCalls: $("refresh-calls"),
  calls: $("calls").tBodies[0],
  moreCalls: $("more-calls"),
  detail: $("detail-section"),
  detailHeading: $("detail-heading"),
  detailFacts: $("detail-facts"),
  history: $("history"),
  loadRecording: $("load-recording"),
  downloadRecording: $("download-recording"),
  recording: $("recording"),
  recordingStatus: $("recording-status"),
};

/** Everything the page knows; `live` is the call being talked to. */
const state = {
  apiKey: undefined,
  client: undefined,
  live: undefined, // { callId, agent, stream, vad, replyTurn, keysDone, ended }
  agents: undefined, // the tenant's agents (GET /api/v1/agents), once listed
  mic: undefined,
  player: undefined,
  talking: false,
  cursor: undefined,
  detailCallId: undefined,
  recordingUrl: undefined,
};

// ---------------------------------------------------------------------------------------------
// Small helpers

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "className") node.className = value;
    else if (
      name.startsWith("data-") ||
      name.startsWith("aria-") ||
      name === "role" ||
      name === "scope" ||
      name === "datetime" ||
      name === "type"
    )
      node.setAttribute(name, String(value));
    else node[name] = value;
  }
  for (const child of children) if (child !== undefined && child !== null) node.append(child);
  return node;
}

function setStatus(text) {
  ui.status.textContent = text;
}

function describeError(err) {
  if (err instanceof VoiceEdgeError) {
    const id = err.requestId ? `; request ${err.requestId}` : "";
    return `${err.detail || err.title || err.message} (${err.status || "network"} ${err.code}${id})`;
  }
  if (err instanceof DOMException && err.name === "NotAllowedError")
    return "The microphone was not allowed; allow it in the browser, or use the text box.";
  return err instanceof Error ? err.message : String(err);
}

function showError(err) {
  ui.error.textContent = describeError(err);
  ui.error.hidden = false;
  console.error(err);
}

function clearError() {
  ui.error.hidden = true;
  ui.error.textContent = "";
}

/**
 * Runs an async UI action: errors go to the alert region. While it runs, `control` is marked busy
 * (aria-busy) and repeated presses are ignored; it is not disabled, which would take its focus.
 */
function action(fn, control) {
  return async (event) => {
    event?.preventDefault?.();
    if (control?.getAttribute("aria-busy") === "true") return;
    control?.setAttribute("aria-busy", "true");
    clearError();
    try {
      await fn(event);
    } catch (err) {
      showError(err);
    } finally {
      control?.removeAttribute("aria-busy");
    }
  };
}

function formatTime(iso, timeStyle = "medium") {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: "short", timeStyle });
}

/** A <time> with the local date and time; its title has the exact instant. */
function timeEl(iso, timeStyle) {
  return iso ? el("time", { datetime: iso, title: iso }, formatTime(iso, timeStyle)) : "";
}

function ms(value) {
  return value === null || value === undefined ? "—" : String(Math.round(value));
}

const SOURCE_LABEL = { speech: "spoke", dtmf: "keyed", text: "typed" };

// ---------------------------------------------------------------------------------------------
// API key

function useKey(apiKey) {
  state.apiKey = apiKey;
  state.client = apiKey ? createVoiceEdgeClient({ baseUrl: location.origin, apiKey }) : undefined;
  const on = Boolean(apiKey);
  ui.keyState.textContent = on ? `Key set for this tab (ending …${apiKey.slice(-4)}).` : "No key yet.";
  ui.forgetKey.disabled = !on;
  ui.startCall.disabled = !on || Boolean(state.live);
  ui.refreshCalls.disabled = !on;
  ui.refreshAgents.disabled = !on;
  ui.agent.disabled = !on;
  if (!on) {
    ui.calls.replaceChildren();
    ui.moreCalls.hidden = true;
    ui.detail.hidden = true;
    showAgents(undefined);
  }
}

ui.keyForm.addEventListener(
  "submit",
  action(async () => {
    const apiKey = ui.keyInput.value.trim();
    if (!apiKey) return;
    sessionStorage.setItem(KEY_STORAGE, apiKey);
    ui.keyInput.value = "";
    useKey(apiKey);
    setStatus("Key set. Start a call, or open a past one.");
    loadAgents().catch(showError);
    await loadCalls();
  }),
);

ui.forgetKey.addEventListener("click", () => {
  sessionStorage.removeItem(KEY_STORAGE);
  useKey(undefined);
  setStatus("Key forgotten.");
  ui.keyInput.focus();
});

// ---------------------------------------------------------------------------------------------
// Agents: the picker of the "start a call" controls

/** The picker's options: "No agent (flow)", then the tenant's agents (`undefined`: not listed). */
function showAgents(agents, problem) {
  state.agents = agents;
  const wanted = ui.agent.value;
  const options = (agents ?? []).map((agent) =>
    el(
      "option",
      { value: agent.agentId },
      agent.name ? `${agent.name} (${agent.agentId}, v${agent.version})` : `${agent.agentId} (v${agent.version})`,
    ),
  );
  ui.agent.replaceChildren(el("option", { value: "" }, "No agent (flow)"), ...options);
  ui.agent.value = agents?.some((agent) => agent.agentId === wanted) ? wanted : "";
  syncAgentChoice(problem);
}

/** The flow choice is off while an agent is picked (an agent call is driven by its agent); the help says why. */
function syncAgentChoice(problem) {
  const agentId = ui.agent.value;
  ui.flow.disabled = Boolean(agentId);
  const code = (text) => el("code", {}, text);
  let help;
  if (problem) help = [`Could not list the agents: ${problem}`];
  else if (!state.client) help = ["Agents are listed once a key is set."];
  else if (!state.agents) help = ["Listing the agents…"];
  else if (agentId) {
    const agent = state.agents.find((a) => a.agentId === agentId);
    help = [
      `Agent ${agentId}${agent ? ` (version ${agent.version})` : ""} answers the call with its model and tools, ` +
        "in its own language unless you change Language; the flow choice is off.",
    ];
  } else if (!state.agents.length)
    help = [
      "No agents yet: the flow answers. Create one with ",
      code("PUT /api/v1/agents/{id}"),
      " (a key with scope ",
      code("agents:write"),
      "; see docs/agents.md), then press Refresh agents.",
    ];
  else
    help = [
      `${state.agents.length} agent${state.agents.length === 1 ? "" : "s"}: pick one to have its model answer ` +
        "the call; with none, the flow answers.",
    ];
  ui.agentHelp.replaceChildren(...help);
}

/** Lists the tenant's agents into the picker (GET /api/v1/agents, page after page). */
async function loadAgents() {
  const client = state.client;
  if (!client) return;
  if (!state.agents) syncAgentChoice();
  const agents = [];
  let cursor;
  try {
    for (let page = 0; page < AGENT_PAGES; page++) {
      const query = { limit: AGENTS_PAGE, ...(cursor ? { cursor } : {}) };
      const { data, error, response } = await client.GET("/api/v1/agents", { params: { query } });
      if (error || !data) throw VoiceEdgeError.fromResponse(response, error);
      agents.push(...data.agents);
      cursor = data.nextCursor;
      if (!cursor) break;
    }
  } catch (err) {
    if (state.client !== client) return;
    showAgents(state.agents, describeError(err));
    throw err;
  }
  if (state.client !== client) return; // the key changed meanwhile
  showAgents(agents);
}

ui.agent.addEventListener("change", () => syncAgentChoice());
ui.refreshAgents.addEventListener("click", action(loadAgents, ui.refreshAgents));

// ---------------------------------------------------------------------------------------------
// Live call

function setCallState(name, text) {
  ui.main.dataset.callState = name;
  ui.liveState.textContent = text ?? name;
}

function logEvent(text) {
  ui.events.append(el("li", {}, text));
  while (ui.events.childElementCount > MAX_EVENTS) ui.events.firstElementChild.remove();
}

function addLine(who, text, { source, className, turnId } = {}) {
  const li = el(
    "li",
    { className: className ?? (who === "Agent" ? "agent" : "caller"), "data-turn-id": turnId },
    el("span", { className: "who" }, who),
    source ? el("span", { className: "source" }, ` (${SOURCE_LABEL[source] ?? source})`) : undefined,
    ": ",
    el("span", { className: "text" }, text),
  );
  ui.transcript.append(li);
  li.scrollIntoView({ block: "nearest" });
  return li;
}

/** The live transcript's interim line (a hypothesis the next transcript replaces). */
function interimLine(text) {
  const li = ui.transcript.querySelector("li.interim");
  if (!text) return li?.remove();
  if (li) li.querySelector(".text").textContent = text;
  else addLine("Caller", text, { className: "caller interim" });
}

/** The turns table's row of `turnId`, made on first use. */
function turnRow(turnId) {
  let row = ui.turns.querySelector(`tr[data-turn-id="${CSS.escape(turnId)}"]`);
  if (!row) {
    row = el(
      "tr",
      { "data-turn-id": turnId },
      el("th", { scope: "row" }, turnId),
      ...["caller", "intent", "confidence", "stt", "nlp", "tts", "first-audio", "played"].map((name) =>
        el("td", { className: `c-${name}` }, ""),
      ),
    );
    ui.turns.append(row);
  }
  return row;
}

function setCell(row, name, text) {
  row.querySelector(`.c-${name}`).textContent = text;
}

/** The turns table's "Played" cell: how much of the reply played, of how much arrived. */
function showPlayed(label, stats) {
  const row = turnRow(label);
  row.dataset.playedMs = String(Math.round(stats.playedMs));
  const received = stats.receivedBytes / 2 / STREAM_RATE;
  setCell(row, "played", `${(stats.playedMs / 1000).toFixed(1)} / ${received.toFixed(1)} s`);
}

function updatePlayer({ label, playing, stats }) {
  if (!label || !stats) {
    ui.player.textContent = "Reply audio stopped.";
    for (const [turn, turnStats] of state.player?.stats ?? []) if (turn !== "greeting") showPlayed(turn, turnStats);
    return;
  }
  const total = [...state.player.stats.values()].reduce(
    (a, s) => ({ bytes: a.bytes + s.receivedBytes, played: a.played + s.playedMs }),
    { bytes: 0, played: 0 },
  );
  ui.player.dataset.receivedBytes = String(total.bytes);
  ui.player.dataset.playedMs = String(Math.round(total.played));
  const what = label === "greeting" ? "the greeting" : `the reply to ${label}`;
  const finished = stats.done && !playing && stats.playedMs > 0;
  const line = finished ? `Played ${what} (${(stats.playedMs / 1000).toFixed(1)} s).` : `Playing ${what}…`;
  // A status region announces changes: write only when the words change.
  if (ui.player.textContent !== line) ui.player.textContent = line;
  if (label !== "greeting") showPlayed(label, stats);
}

function base64Bytes(base64) {
  const binary = atob(base64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function enableLive(on) {
  ui.endCall.disabled = !on;
  ui.startCall.disabled = on || !state.client;
  for (const control of [ui.textInput, ui.dtmfInput, ...ui.textForm.elements, ...ui.dtmfForm.elements])
    control.disabled = !on;
  ui.ptt.disabled = !on || !state.mic?.active;
}

let meterFrames = 0;
function onMicFrame(pcm, level) {
  // The level meter moves 10 times a second (every 5th frame), which is enough for eyes.
  if (++meterFrames % 5 === 0 && Number.isFinite(level)) ui.micLevel.value = Math.max(-90, level);
  const live = state.live;
  if (state.talking && live?.stream.isOpen) live.stream.sendAudio(pcm);
}

/** The live transcript's line of an agent's reply that is still being written, if any. */
function streamingLine(turnId) {
  return ui.transcript.querySelector(`li.agent.streaming[data-turn-id="${CSS.escape(turnId)}"]`);
}

/** An agent's line of `turnId` made from its reply's pieces (reply_delta, tool_call), still streaming or not. */
function streamedLine(turnId) {
  return ui.transcript.querySelector(`li.agent[data-streamed][data-turn-id="${CSS.escape(turnId)}"]`);
}

/** The agent's line of `turnId` as its reply streams in: made, empty, on the turn's first delta or tool call. */
function agentLine(turnId) {
  const line = streamedLine(turnId);
  if (line) return line;
  const made = addLine("Agent", "", { turnId, className: "agent streaming" });
  made.dataset.streamed = "true";
  return made;
}

/** A tool the agent used during its turn: a line under its reply, with the arguments behind a disclosure. */
function toolLine(line, m) {
  let list = line.querySelector("ul.tools");
  if (!list) line.append((list = el("ul", { className: "tools", "aria-label": "Tools used" })));
  const args = JSON.stringify(m.arguments ?? {}, null, 2);
  const item = el(
    "li",
    { className: m.ok ? "tool" : "tool failed", "data-tool": m.name, "data-ok": String(m.ok) },
    el(
      "details",
      {},
      el(
        "summary",
        {},
        "Tool ",
        el("code", { className: "tool-name" }, m.name),
        `: ${m.ok ? "ok" : "failed"}, ${ms(m.latencyMs)} ms`,
      ),
      el("pre", { className: "args", "aria-label": `Arguments of ${m.name}` }, args),
    ),
  );
  list.append(item);
  item.scrollIntoView({ block: "nearest" });
}

function wireStream(live) {
  const { stream } = live;
  stream.on("message", (m) => {
    if (m.type !== "transcript" || m.final) logEvent(JSON.stringify(m));
  });
  stream.on("speech_started", () => state.player?.stop());
  stream.on("dtmf", (m) => {
    if (live.keysDone) {
      ui.keysHeard.value = "";
      live.keysDone = false;
    }
    ui.keysHeard.value += m.digit;
  });
  stream.on("transcript", (m) => {
    if (!m.final) return interimLine(m.text);
    interimLine("");
    addLine("Caller", m.text, { source: m.source, turnId: m.turnId });
    if (m.source === "dtmf") live.keysDone = true;
    if (m.turnId) setCell(turnRow(m.turnId), "caller", m.text);
  });
  stream.on("intent", (m) => {
    const row = turnRow(m.turnId);
    row.dataset.intent = "true";
    setCell(row, "intent", m.name);
    setCell(row, "confidence", `${Math.round(m.confidence * 100)}%`);
  });
  // An agent's turn: its reply grows a sentence at a time (reply_delta, each followed by its audio),
  // its tool calls are listed under it, and `reply` has the whole text at the end.
  stream.on("reply_delta", (m) => {
    live.replyTurn = m.turnId;
    const line = agentLine(m.turnId);
    const text = line.querySelector(".text");
    text.textContent = text.textContent ? `${text.textContent} ${m.text}` : m.text;
    line.dataset.deltas = String(Number(line.dataset.deltas ?? 0) + 1);
  });
  stream.on("tool_call", (m) => toolLine(agentLine(m.turnId), m));
  stream.on("transfer", (m) => {
    const to = m.number ? ` to ${m.number}` : "";
    addLine("Transfer", `The agent asked to transfer the caller${to}. On a phone call they would be connected now.`, {
      className: "notice",
      turnId: m.turnId,
    });
    setStatus(`The agent asked to transfer the caller${to}.`);
  });
  stream.on("reply", (m) => {
    live.replyTurn = m.turnId;
    const streamed = streamedLine(m.turnId);
    if (!streamed) return addLine("Agent", m.text, { turnId: m.turnId });
    // The whole text replaces its pieces (unless the caller talked over it: the line keeps what was said).
    if (!streamed.classList.contains("interrupted")) streamed.querySelector(".text").textContent = m.text;
    streamed.classList.remove("streaming");
  });
  stream.on("audio", (pcm) => state.player?.enqueuePcm(live.replyTurn ?? "reply", pcm));
  stream.on("reply_done", (m) => {
    streamingLine(m.turnId)?.classList.remove("streaming");
    state.player?.finish(m.turnId);
  });
  stream.on("interrupted", (m) => {
    state.player?.stop();
    const line = ui.transcript.querySelector(`li.agent[data-turn-id="${CSS.escape(m.turnId)}"]`);
    if (line) {
      line.classList.remove("streaming");
      line.classList.add("interrupted");
      line.append(el("span", { className: "note" }, ` (interrupted; heard: “${m.spokenText}”)`));
    }
  });
  stream.on("metrics", (m) => {
    const row = turnRow(m.turnId);
    if (row.dataset.intent !== "true") {
      // An agent's model answered this turn: there is no intent to show.
      setCell(row, "intent", live.agent ? "none (agent)" : "—");
      setCell(row, "confidence", "—");
    }
    setCell(row, "stt", ms(m.sttMs));
    setCell(row, "nlp", ms(m.nlpMs));
    setCell(row, "tts", ms(m.ttsMs));
    setCell(row, "first-audio", ms(m.firstAudioMs));
    row.dataset.metrics = "true";
  });
  stream.on("error", (m) => {
    showError(new VoiceEdgeError({ status: m.status, code: m.code, title: m.title, detail: m.detail }));
    addLine("Error", `${m.detail} (${m.code})`, { className: "problem" });
  });
  stream.on("ended", (m) => {
    live.ended = m.reason;
  });
  stream.on("close", (close) => {
    const reason = live.ended
      ? `Call ended (${live.ended}).`
      : `Stream closed (WebSocket ${close.code}${close.reason ? `: ${close.reason}` : ""}).`;
    finishLive(live, reason);
  });
}

/** The live call is over (ended, or its stream closed): the controls go back to idle. */
function finishLive(live, text) {
  if (state.live !== live) return;
  pttUp({ silence: false });
  state.live = undefined;
  for (const line of ui.transcript.querySelectorAll("li.streaming")) line.classList.remove("streaming");
  state.mic?.stop();
  ui.micLevel.value = -90;
  setCallState("ended", live.ended ? `ended (${live.ended})` : "stream closed");
  setStatus(text);
  enableLive(false);
  const callId = live.callId;
  // The ended call, with its history and recording, and the list with it.
  if (state.client) {
    loadCalls().catch(showError);
    openCall(callId).catch(showError);
  }
}

async function startCall() {
  if (!state.client || state.live) return;
  // Made from the click, so the page may play audio.
  const context = audioContext();
  state.player?.stop();
  state.player = new ReplyPlayer(context, { rate: STREAM_RATE, onChange: updatePlayer });
  ui.transcript.replaceChildren();
  ui.turns.replaceChildren();
  ui.events.replaceChildren();
  ui.keysHeard.value = "";
  ui.player.textContent = "Reply audio: nothing played yet.";
  ui.player.dataset.playedMs = "0";
  ui.player.dataset.receivedBytes = "0";
  setCallState("starting", "starting");
  setStatus("Starting a call…");

  const body = {};
  const agent = ui.agent.value || undefined;
  const language = ui.language.value.trim();
  // An agent speaks its own language unless Language was changed from its default.
  if (language && (!agent || language !== ui.language.defaultValue)) body.language = language;
  if (agent) body.agent = agent;
  else if (ui.flow.value.trim()) body.flow = ui.flow.value.trim();
  let created;
  try {
    created = await state.client.createCall(body, { reply: "audio", format: "wav" });
  } catch (err) {
    // Refused (an agent call without a language model: 503 llm_not_configured): the alert has the detail.
    setCallState("idle", err instanceof VoiceEdgeError ? `refused (${err.code})` : "idle");
    setStatus(agent ? `The call with agent ${agent} was not started.` : "The call was not started.");
    throw err;
  }
  const { callId } = created;
  ui.liveCallId.value = callId;
  if (created.greeting) {
    addLine("Agent", created.greeting.text, { turnId: "greeting" });
    if (created.greeting.audio?.base64)
      state.player.playFile("greeting", base64Bytes(created.greeting.audio.base64)).catch(showError);
  }

  setStatus("Connecting the live stream…");
  let stream;
  try {
    const { token } = await state.client.createStreamToken(callId);
    stream = await openCallStream({
      baseUrl: location.origin,
      callId,
      token,
      start: { format: "pcm16", sampleRate: STREAM_RATE, reply: "audio" },
    });
  } catch (err) {
    setCallState("idle", "stream failed");
    // A call nobody can talk to is ended at once rather than left to idle out.
    await state.client.endCall(callId).catch(() => undefined);
    throw err;
  }
  const live = {
    callId,
    agent: created.agent,
    stream,
    vad: stream.ready?.vad,
    replyTurn: undefined,
    keysDone: false,
    ended: undefined,
  };
  state.live = live;
  wireStream(live);

  let micNote = "";
  state.mic = new Microphone(context, { onFrame: onMicFrame, echoCancellation: ui.echoCancellation.checked });
  try {
    await state.mic.start();
  } catch (err) {
    micNote = ` Microphone unavailable (${describeError(err)}): type or key your turns.`;
  }
  if (state.live !== live) return; // the stream closed meanwhile
  enableLive(true);
  setCallState("live", "live");
  const by = created.agent ? ` with agent ${created.agent.agentId} (version ${created.agent.version})` : "";
  setStatus(`Call ${callId} is live${by}.${micNote}`);
  // The start button is disabled now: focus goes to what comes next.
  (state.mic.active ? ui.ptt : ui.textInput).focus();
  loadCalls().catch(showError);
}

async function endCall() {
  const live = state.live;
  if (!live) return;
  setStatus("Ending the call…");
  state.player?.stop();
  if (live.stream.isOpen && live.stream.stop()) {
    // `ended` and the close follow; finishLive runs on close.
    const closed = await Promise.race([
      live.stream.closed,
      new Promise((resolve) => setTimeout(() => resolve(undefined), 5000)),
    ]);
    if (closed) return;
    live.stream.close();
  }
  live.ended ??= "ended";
  await state.client.endCall(live.callId).catch(() => undefined);
  finishLive(live, `Call ended.`);
}

ui.callForm.addEventListener("submit", action(startCall, ui.startCall));
ui.endCall.addEventListener("click", action(endCall));

// Push to talk: pointer held, Space held (while the button has focus), or Enter to toggle.
function pttDown() {
  if (state.talking || !state.live || !state.mic?.active) return;
  state.talking = true;
  state.player?.stop(); // the caller talks over the agent: stop playing at once
  // The button's name stays "Hold to talk"; aria-pressed (and its colour) says it is held.
  ui.ptt.setAttribute("aria-pressed", "true");
  setStatus("Talking: the microphone streams to the call.");
}

function pttUp({ silence = true } = {}) {
  if (!state.talking) return;
  state.talking = false;
  ui.ptt.setAttribute("aria-pressed", "false");
  const live = state.live;
  if (!silence || !live?.stream.isOpen) return;
  // The server ends turns by the audio it hears (its clock is caller samples, not wall time):
  // trailing silence lets it end an utterance (VAD end silence) and a keypad entry without `#`.
  const endSilence = live.vad?.endSilenceMs ?? 600;
  const silenceMs = Math.max(endSilence, KEYPAD_TIMEOUT_MS) + 100;
  const frame = new ArrayBuffer(FRAME_BYTES);
  for (let sent = 0; sent < silenceMs; sent += FRAME_MS) live.stream.sendAudio(frame);
  setStatus("Sent; waiting for the reply.");
}

ui.ptt.addEventListener("pointerdown", (event) => {
  if (event.button !== 0) return;
  ui.ptt.setPointerCapture(event.pointerId);
  pttDown();
});
for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) ui.ptt.addEventListener(type, () => pttUp());
ui.ptt.addEventListener("keydown", (event) => {
  if (event.key === " ") {
    event.preventDefault();
    if (!event.repeat) pttDown();
  } else if (event.key === "Enter") {
    event.preventDefault();
    if (event.repeat) return;
    if (state.talking) pttUp();
    else pttDown();
  }
});
ui.ptt.addEventListener("keyup", (event) => {
  if (event.key === " ") {
    event.preventDefault();
    pttUp();
  }
});
ui.ptt.addEventListener("blur", () => pttUp());
ui.ptt.addEventListener("click", (event) => event.preventDefault());

ui.textForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = ui.textInput.value.trim();
  if (!text || !state.live?.stream.isOpen) return;
  state.player?.stop();
  state.live.stream.sendText(text);
  ui.textInput.value = "";
});

ui.dtmfForm.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!ui.dtmfInput.checkValidity()) return ui.dtmfInput.reportValidity();
  const digits = ui.dtmfInput.value.trim();
  if (!digits || !state.live?.stream.isOpen) return;
  state.player?.stop();
  state.live.stream.sendDtmf(digits);
  ui.dtmfInput.value = "";
});

// ---------------------------------------------------------------------------------------------
// Past calls

function callRow(call) {
  const open = el(
    "button",
    { type: "button", className: "link", "data-call-id": call.callId, "aria-label": `Open call ${call.callId}` },
    call.callId,
  );
  open.addEventListener(
    "click",
    action(() => openCall(call.callId)),
  );
  return el(
    "tr",
    { "data-call-id": call.callId },
    el("th", { scope: "row" }, open),
    el("td", {}, call.status),
    el("td", {}, timeEl(call.createdAt, "short")),
    el("td", {}, String(call.turnCount)),
  );
}

async function loadCalls({ more = false } = {}) {
  if (!state.client) return;
  const query = { limit: CALLS_PAGE };
  if (ui.callsStatus.value) query.status = ui.callsStatus.value;
  if (more && state.cursor) query.cursor = state.cursor;
  const { data, error, response } = await state.client.GET("/api/v1/calls", { params: { query } });
  if (error || !data) throw VoiceEdgeError.fromResponse(response, error);
  const rows = data.calls.map(callRow);
  if (more) ui.calls.append(...rows);
  else ui.calls.replaceChildren(...rows);
  if (!ui.calls.childElementCount) ui.calls.append(el("tr", {}, el("td", { colSpan: 4 }, "No calls yet.")));
  state.cursor = data.nextCursor;
  // "Load more" moves the keyboard to the first call it added (the button may be hidden now).
  if (more && document.activeElement === ui.moreCalls) rows[0]?.querySelector("button")?.focus();
  ui.moreCalls.hidden = !data.nextCursor;
}

ui.callsForm.addEventListener(
  "submit",
  action(() => loadCalls(), ui.refreshCalls),
);
ui.moreCalls.addEventListener(
  "click",
  action(() => loadCalls({ more: true }), ui.moreCalls),
);

function fact(name, value) {
  return value === undefined || value === null || value === "" ? [] : [el("dt", {}, name), el("dd", {}, value)];
}

function historyLine(entry) {
  const who = entry.role === "user" ? "Caller" : "Agent";
  const details = [];
  if (entry.intent) details.push(`intent ${entry.intent.name} (${Math.round(entry.intent.confidence * 100)}%)`);
  if (entry.latencyMs)
    details.push(
      `STT ${ms(entry.latencyMs.stt)}, NLP ${ms(entry.latencyMs.nlp)}` +
        `${entry.latencyMs.llm === undefined ? "" : ` (model ${ms(entry.latencyMs.llm)})`}, TTS ` +
        `${ms(entry.latencyMs.tts)}, total ${ms(entry.latencyMs.total)} ms`,
    );
  if (entry.interrupted) details.push("interrupted");
  return el(
    "li",
    { className: entry.role === "user" ? "caller" : "agent", "data-turn-id": entry.turnId },
    el("span", { className: "who" }, who),
    entry.source ? el("span", { className: "source" }, ` (${SOURCE_LABEL[entry.source] ?? entry.source})`) : undefined,
    ": ",
    el("span", { className: "text" }, entry.text),
    " ",
    timeEl(entry.at),
    details.length ? el("span", { className: "note" }, ` · ${entry.turnId}: ${details.join("; ")}`) : undefined,
  );
}

function resetRecording() {
  if (state.recordingUrl) URL.revokeObjectURL(state.recordingUrl);
  state.recordingUrl = undefined;
  ui.recording.pause();
  ui.recording.removeAttribute("src");
  ui.recording.hidden = true;
  ui.recording.dataset.durationMs = "";
  ui.downloadRecording.hidden = true;
  ui.downloadRecording.removeAttribute("href");
  ui.recordingStatus.textContent = "";
}

async function openCall(callId) {
  const call = await state.client.getCall(callId);
  state.detailCallId = callId;
  resetRecording();
  ui.detailHeading.textContent = `Call ${callId}`;
  ui.detailFacts.replaceChildren(
    ...fact("Status", call.status + (call.endReason ? ` (${call.endReason})` : "")),
    ...(call.agent ? fact("Agent", `${call.agent.agentId} (version ${call.agent.version})`) : fact("Flow", call.flow)),
    ...fact("Model tokens", call.llmTokens && `${call.llmTokens.input} in, ${call.llmTokens.output} out`),
    ...fact("Language", call.language),
    ...fact("Started", timeEl(call.createdAt)),
    ...fact("Last activity", timeEl(call.lastActivityAt)),
    ...fact("Ended", timeEl(call.endedAt)),
    ...fact("Turns", String(call.turnCount)),
    ...fact("Read from", `${call.tier} tier`),
    ...fact("Residency", call.residency),
  );
  ui.history.replaceChildren(...call.history.map(historyLine));
  if (!call.history.length) ui.history.append(el("li", {}, "No turns yet."));
  ui.detail.hidden = false;
  ui.detail.dataset.callId = callId;
  history.replaceState(null, "", `#call=${encodeURIComponent(callId)}`);
  // Move focus only when the person asked for this call (not when a live call ends by itself).
  if (document.activeElement?.closest?.("#calls-section") || document.activeElement === document.body)
    ui.detailHeading.focus();
}

async function loadRecording() {
  const callId = state.detailCallId;
  if (!callId) return;
  resetRecording();
  ui.recordingStatus.textContent = "Loading the recording…";
  const { data, error, response } = await state.client.GET("/api/v1/calls/{callId}/recording", {
    params: { path: { callId } },
    parseAs: "blob",
  });
  if (error || !data) {
    ui.recordingStatus.textContent = "";
    throw VoiceEdgeError.fromResponse(response, error);
  }
  if (state.detailCallId !== callId) return;
  state.recordingUrl = URL.createObjectURL(data);
  ui.recording.src = state.recordingUrl;
  ui.recording.hidden = false;
  ui.downloadRecording.href = state.recordingUrl;
  ui.downloadRecording.download = `${callId}.wav`;
  ui.downloadRecording.hidden = false;
  const tier = response.headers.get("X-Voice-Tier");
  ui.recording.addEventListener(
    "loadedmetadata",
    () => {
      const seconds = ui.recording.duration;
      ui.recording.dataset.durationMs = String(Math.round(seconds * 1000));
      ui.recordingStatus.textContent =
        `Recording: ${seconds.toFixed(1)} s, ` +
        `${(data.size / 1024).toFixed(0)} KiB${tier ? `, from the ${tier} tier` : ""}.`;
    },
    { once: true },
  );
  ui.recording.focus();
}

ui.loadRecording.addEventListener("click", action(loadRecording, ui.loadRecording));

// ---------------------------------------------------------------------------------------------
// Start

document.addEventListener("securitypolicyviolation", (event) =>
  console.error(`CSP refused ${event.blockedURI || event.violatedDirective}`),
);

const saved = sessionStorage.getItem(KEY_STORAGE);
useKey(saved ?? undefined);
setCallState("idle");
if (saved) {
  setStatus("Key set. Start a call, or open a past one.");
  loadAgents().catch(showError);
  const wanted = /^#call=([A-Za-z0-9_-]{1,64})$/.exec(location.hash)?.[1];
  loadCalls()
    .then(() => (wanted ? openCall(wanted) : undefined))
    .catch(showError);
} else {
  setStatus("Paste an API key to begin.");
}
