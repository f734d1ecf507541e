/**
 * The adapter contract (adapter-contract.ts) over every STT and TTS adapter of every cloud provider
 * module the registry knows. A module added to PROVIDER_MODULES without contract fixtures fails here.
 * `local` is left out: it has no server, no credentials and no wire to fail.
 */
import { describe, expect, it } from "vitest";
import { sttContract, ttsContract, type ContractFixture } from "./adapter-contract";
import { contractFixtures as azure } from "./azure/test-support";
import { contractFixtures as cartesia } from "./cartesia/test-support";
import { contractFixtures as deepgram } from "./deepgram/test-support";
import { contractFixtures as elevenlabs } from "./elevenlabs/test-support";
import { contractFixtures as google } from "./google/test-support";
import { contractFixtures as openai } from "./openai/test-support";
import { contractFixtures as polly } from "./polly/test-support";
import { PROVIDER_MODULES } from "./registry";
import { contractFixtures as workersAi } from "./workers-ai/test-support";

const FIXTURES: Record<string, ContractFixture[]> = {
  azure,
  cartesia,
  deepgram,
  elevenlabs,
  google,
  openai,
  polly,
  "workers-ai": workersAi,
};

// Modules with batch engines; a streaming-only one (assemblyai) keeps stt-stream-contract.test.ts instead.
const cloud = PROVIDER_MODULES.filter((m) => m.name !== "local" && (m.stt || m.tts));

describe("the adapter contract's reach", () => {
  it("covers every cloud provider module in the registry, and only those", () => {
    expect(Object.keys(FIXTURES).sort()).toEqual(cloud.map((m) => m.name).sort());
    for (const name of Object.keys(FIXTURES)) expect(FIXTURES[name]!.length, name).toBeGreaterThan(0);
  });
});

for (const module of cloud) {
  for (const fixture of FIXTURES[module.name] ?? []) {
    if (module.stt) sttContract(module, fixture);
    if (module.tts) ttsContract(module, fixture);
  }
}
