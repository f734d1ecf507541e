import { describe, expect, it } from "vitest";
import { AudioError } from "../audio/errors";
import { ApiError, asApiError, errorMessage, InputError } from "./errors";

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
