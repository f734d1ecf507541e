import { describe, expect, it } from "vitest";
import { AudioError } from "./errors";

describe("AudioError", () => {
  it("is an Error carrying the code the API maps to a status and the client-facing message", () => {
    const err = new AudioError("payload_too_large", "The audio is too long; send less.");
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(AudioError);
    expect(err.code).toBe("payload_too_large");
    expect(err.message).toBe("The audio is too long; send less.");
    expect(err.name).toBe("AudioError");
  });
});
