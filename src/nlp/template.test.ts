import { describe, expect, it } from "vitest";
import { referencedPaths, renderTemplate } from "./template";

describe("renderTemplate", () => {
  const data = {
    slots: { amount: "25.00" },
    context: { balance: "$42.17", name: "Dana", account: { plan: { tier: "gold" } }, visits: 3, vip: false, empty: "" },
  };

  it("fills slots and nested context paths", () => {
    expect(renderTemplate("Paying {{slots.amount}} on your {{context.account.plan.tier}} plan.", data)).toBe(
      "Paying 25.00 on your gold plan.",
    );
  });

  it("uses the default after | only when the value is missing", () => {
    const t = "Your balance is {{context.balance|not available}}. Anything else, {{context.nickname|there}}?";
    expect(renderTemplate(t, data)).toBe("Your balance is $42.17. Anything else, there?");
    expect(renderTemplate(t, {})).toBe("Your balance is not available. Anything else, there?");
  });

  it("treats empty strings, objects and arrays as missing", () => {
    expect(renderTemplate("[{{context.empty|none}}]", data)).toBe("[none]");
    expect(renderTemplate("[{{context.account|none}}]", data)).toBe("[none]");
    expect(renderTemplate("[{{context.list|none}}]", { context: { list: [1, 2] } })).toBe("[none]");
  });

  it("renders numbers and booleans as text", () => {
    expect(renderTemplate("{{context.visits}} visits, vip {{context.vip}}", data)).toBe("3 visits, vip false");
  });

  it("renders a missing value without a default as nothing, and tidies the gap", () => {
    expect(renderTemplate("Hello {{context.nickname}}, welcome back.", data)).toBe("Hello, welcome back.");
    expect(renderTemplate("Hi {{ context.name }} {{context.surname}} !", data)).toBe("Hi Dana!");
  });

  it("tolerates spaces inside the braces and around the default", () => {
    expect(renderTemplate("{{ context.nickname | my friend }}!", data)).toBe("my friend!");
  });

  it("never reads inherited properties", () => {
    expect(
      renderTemplate("[{{context.constructor|safe}}][{{context.__proto__|safe}}][{{slots.amount.length|safe}}]", data),
    ).toBe("[safe][safe][safe]");
  });

  it("leaves malformed placeholders as literal text and never throws", () => {
    expect(renderTemplate("Press {{ to continue", data)).toBe("Press {{ to continue");
    expect(renderTemplate("a {{}} b", data)).toBe("a b");
    expect(() => renderTemplate("{{context.a.b.c}}", { context: null })).not.toThrow();
    expect(renderTemplate("x{{context.a.b.c|d}}", { context: { a: null } })).toBe("xd");
  });
});

describe("referencedPaths", () => {
  it("lists every placeholder path, defaults excluded", () => {
    expect(referencedPaths("{{slots.a}} and {{ context.b.c | x }}")).toEqual(["slots.a", "context.b.c"]);
  });
});
