/** Shared by this folder's tests only (never imported by runtime code). */
import type { ContractFixture, Failure, Server, Wire } from "../adapter-contract";
import { workersAiSettingsSchema, type AiRunner, type WorkersAiSettings } from "./settings";

export interface RecordedRun {
  model: string;
  inputs: Record<string, unknown>;
  options: { signal?: AbortSignal } | undefined;
}

type Answer = (run: RecordedRun) => unknown;

/**
 * A stand-in for the `AI` binding: records every `run(model, inputs, options)` call and answers
 * with the scripted output (or throws what the script throws, as the binding does on errors).
 */
export function fakeAi(answer: Answer | unknown) {
  const runs: RecordedRun[] = [];
  const ai: AiRunner = {
    async run(model, inputs, options) {
      const run = { model, inputs, options };
      runs.push(run);
      return typeof answer === "function" ? (answer as Answer)(run) : answer;
    },
  };
  return { ai, runs };
}

/** A binding that never answers and ignores its signal, to prove the adapter stops waiting itself. */
export const hangingAi: AiRunner = { run: () => new Promise(() => {}) };

export const failingAi = (error: unknown): AiRunner => ({
  run: () => Promise.reject(error),
});

export function settingsWith(ai: AiRunner, env: Record<string, string> = {}): WorkersAiSettings {
  return workersAiSettingsSchema.parse({ AI: ai, ...env });
}

/** The bytes of a ReadableStream (Nova-3's audio body). */
export async function streamBytes(stream: unknown): Promise<Uint8Array> {
  if (!(stream instanceof ReadableStream)) throw new Error("expected a ReadableStream");
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export const streamOf = (bytes: Uint8Array) => new Blob([new Uint8Array(bytes)]).stream();

/** Decodes base64 the way the model would. */
export const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

export { MP3_BYTES } from "../../audio/test-signals";

// ---- the adapter contract (src/providers/adapter-contract.ts) ---------------------------------------

/**
 * What the binding throws per contract failure: its documented codes
 * (https://developers.cloudflare.com/workers-ai/platform/errors/), and the code-less errors it
 * throws when the inference upstream fails.
 */
const BINDING_ERRORS: Record<Exclude<Failure, "unauthenticated">, () => Error> = {
  rate_limited: () => new Error("3040: Capacity temporarily exceeded, please try again."),
  server_error: () => new Error("AiInternalError: Internal server error"),
  unavailable: () =>
    Object.assign(new Error("upstream connect error or disconnect/reset before headers"), {
      name: "InferenceUpstreamError",
    }),
  bad_request: () => new Error("AiError: 5006: Error: required properties at '/' are 'audio'"),
  not_found: () => new Error("3042: Invalid model ID"),
  unprocessable: () => new Error("3006: Request is too large"),
  forbidden: () => new Error("5016: User has not agreed to the model's terms"),
};

/** The binding's side of one contract case: `env.AI` answering (or not) as the server says. */
function contractBinding(server: Server): Wire {
  const wire: Wire = { vars: {}, echoes: [], signals: [] };
  const ai: AiRunner = {
    run(model, inputs, options) {
      wire.echoes.push(`${model} ${Object.keys(inputs).join(",")}`);
      wire.signals.push(options?.signal);
      switch (server.kind) {
        case "hang":
          return new Promise(() => {}); // and ignores its signal: the adapter must stop waiting itself
        case "disconnect":
          return Promise.reject(new TypeError("Network connection lost."));
        case "fail":
          return Promise.reject(BINDING_ERRORS[server.failure as keyof typeof BINDING_ERRORS]());
        case "empty":
          return Promise.resolve(null);
        case "unusable":
          // A text model's answer where audio or a transcript was expected.
          return Promise.resolve({ response: "I am a language model." });
      }
    },
  };
  wire.vars = { AI: ai };
  return wire;
}

export const contractFixtures: ContractFixture[] = [
  {
    label: "AI binding",
    timeoutVar: "WORKERS_AI_TIMEOUT_MS",
    secrets: [],
    noSecrets: "the AI binding authenticates as the Worker's account; no credential is in the settings",
    sendsRetryAfter: false,
    cannot: {
      unauthenticated:
        "the binding carries no credentials to refuse; account-level refusals are 403-class codes (see forbidden)",
    },
    connect: (server) => Promise.resolve(contractBinding(server)),
  },
];
