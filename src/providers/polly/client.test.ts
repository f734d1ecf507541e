import { describe, expect, it } from "vitest";
import { createPollyClient } from "./client";
import { ACCESS_KEY_ID, pollySettings, SECRET_ACCESS_KEY, SESSION_TOKEN } from "./test-support";

/**
 * The SDK client must run on its fetch-based ("browser") runtime config and take its identity
 * from our settings only: the Node flavour's default chain reads env vars (which nodejs_compat
 * mirrors from bindings), ~/.aws files and the EC2 metadata service.
 */
describe("polly SDK client", () => {
  it("uses the fetch runtime, one attempt, and exactly the configured credentials", async () => {
    const client = createPollyClient(
      pollySettings({ AWS_SESSION_TOKEN: SESSION_TOKEN, POLLY_REGION: "ap-southeast-2" }),
    );
    expect(client.config.runtime).toBe("browser");
    expect(await client.config.maxAttempts()).toBe(1);
    expect(await client.config.region()).toBe("ap-southeast-2");
    expect(await client.config.useFipsEndpoint()).toBe(false);
    const identity = await client.config.credentials();
    expect(identity).toMatchObject({
      accessKeyId: ACCESS_KEY_ID,
      secretAccessKey: SECRET_ACCESS_KEY,
      sessionToken: SESSION_TOKEN,
    });
  });

  it("has no session token unless one is configured", async () => {
    const identity = await createPollyClient(pollySettings()).config.credentials();
    expect(identity.sessionToken).toBeUndefined();
  });
});
