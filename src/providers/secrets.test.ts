import { describe, expect, it } from "vitest";
import { maskSecrets, requestSecrets } from "./secrets";

describe("a request's credentials", () => {
  it("are the credential headers' values, also without their scheme, and credential query parameters", () => {
    const secrets = requestSecrets("https://speech.example.com/v1/recognize?key=AIzaSy-query-key-0123&model=x", {
      Authorization: "Bearer sk-test-0123456789",
      "Ocp-Apim-Subscription-Key": "azure-key-0123456789",
      "x-amz-security-token": "IQoJb3JpZ2luX2Vj-token",
      "Content-Type": "application/json",
      "x-goog-user-project": "billing-project-id",
    });
    expect(secrets.sort()).toEqual(
      [
        "Bearer sk-test-0123456789",
        "sk-test-0123456789",
        "azure-key-0123456789",
        "IQoJb3JpZ2luX2Vj-token",
        "AIzaSy-query-key-0123",
      ].sort(),
    );
  });

  it("leave out values too short to be a key", () => {
    expect(requestSecrets("https://x.example.com/?token=abc", { Authorization: "Token abc" })).toEqual(["Token abc"]);
  });
});

describe("masking credentials", () => {
  it("masks every occurrence, a secret that contains another as a whole", () => {
    const text = "Authorization: Bearer sk-123456789 (again: sk-123456789)";
    expect(maskSecrets(text, ["sk-123456789", "Bearer sk-123456789"])).toBe("Authorization: *** (again: ***)");
  });
});
