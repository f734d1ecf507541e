import { readFile } from "node:fs/promises";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig, type Plugin } from "vitest/config";

/**
 * Tests run inside workerd, which has no filesystem: audio fixtures are imported as modules
 * (`import bytes from "../fixtures/audio/x.wav"`) and inlined as Uint8Array by this plugin.
 */
function binaryFixtures(): Plugin {
  const binary = /\.(wav|ulaw|flac|ogg|webm|mp3)$/;
  return {
    name: "voice-edge:binary-fixtures",
    enforce: "pre",
    async load(id) {
      if (!binary.test(id)) return null;
      const b64 = (await readFile(id)).toString("base64");
      return `export default Uint8Array.from(atob(${JSON.stringify(b64)}), (c) => c.charCodeAt(0));`;
    },
  };
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      binaryFixtures(),
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            ADMIN_TOKEN: "test-admin-token-0123456789",
            // The archive keyring (src/storage/encryption.ts): one test key; tests build rotated keyrings from it.
            ARCHIVE_KEYS: "test-1:IunY3onAFvgtTXv/FPQYiVGLNqIKLywhD+jyVJY3egU=",
            // Pinned so a developer's .dev.vars (say, with cloud providers) cannot change what tests see.
            STT_PROVIDERS: "",
            TTS_PROVIDERS: "local",
            LLM_PROVIDERS: "",
            ALLOW_PRIVATE_TOOL_URLS: "false",
            // workerd has no Durable Object jurisdictions (see src/storage/residency.ts).
            DEV_EMULATE_JURISDICTION: "true",
            // The Twilio bridge (src/http/routes/telephony.ts): configured, so its routes check signatures
            // (test/telephony/twilio-client.ts signs with this token; tests pick their own tenant).
            TWILIO_AUTH_TOKEN: "twilio-test-auth-token-0123",
            TWILIO_TENANT_ID: "t_twilio_default",
          },
        },
      }),
    ],
    test: {
      // Request logs of passing tests are noise; a failing test still shows its output.
      silent: "passed-only",
      // One module graph per worker instead of one per file: every file loads the whole Worker
      // (eSpeak, the AWS SDK), and re-loading it per file made the suite 3-4x slower. Tests use
      // unique tenants, calls and object ids and restore their mocks, so sharing is safe.
      isolate: false,
      include: ["src/**/*.test.ts", "test/**/*.test.ts", "client/**/*.test.ts"],
      setupFiles: ["./test/setup/apply-migrations.ts"],
    },
  };
});
