import { describe, expect, it } from "vitest";
import { AudioError } from "../audio/errors";
import { ApiError, asApiError, errorMessage, InputError, problemTitle } from "./errors";

describe("asApiError", () => {
  it("returns an ApiError as it is", () => {
    const err = new ApiError(409, "call_ended", "Call 'c' has ended.");
    expect(asApiError(err)).toBe(err);
  });

  it("maps the audio layer's errors (InputError) to their status, code and public detail", () => {
    const cases = [
      ["invalid_audio", 400],
      ["unsupported_media_type", 415],
      ["payload_too_large", 413],
    ] as const;
    for (const [code, status] of cases) {
      const err = new AudioError(code, `bad: ${code}`);
      expect(err).toBeInstanceOf(InputError);
      expect(err).not.toBeInstanceOf(ApiError);
      const api = asApiError(err);
      expect(api).toBeInstanceOf(ApiError);
      expect({ status: api?.status, code: api?.code, detail: api?.detail }).toEqual({
        status,
        code,
        detail: `bad: ${code}`,
      });
    }
  });

  it("leaves anything else (a bug) to be a 500: null", () => {
    expect(asApiError(new TypeError("x is undefined"))).toBeNull();
    expect(asApiError("a string")).toBeNull();
  });
});

describe("errorMessage", () => {
  it("is an Error's message, or anything else as text", () => {
    expect(errorMessage(new Error("boom"))).toBe("boom");
    expect(errorMessage("plain")).toBe("plain");
    expect(errorMessage(42)).toBe("42");
    expect(errorMessage(undefined)).toBe("undefined");
  });
});

describe("problemTitle", () => {
  it("is the status's reason phrase for every status the API answers with, and Error for others", () => {
    expect(problemTitle(426)).toBe("Upgrade Required");
    expect(problemTitle(502)).toBe("Bad Gateway");
    expect(problemTitle(504)).toBe("Gateway Timeout");
    expect(problemTitle(418)).toBe("Error");
  });
});
