import { describe, expect, it } from "vitest";
import { argumentChecker } from "./arguments";
import { endCall, endCallSpec, transfer, transferSpec } from "./builtins";

describe("built-in tools", () => {
  it("end_call: tells the model when to use it, and asks the pipeline to end the call", () => {
    const spec = endCallSpec({ type: "end_call" });
    expect(spec.name).toBe("end_call");
    expect(spec.description).toMatch(/caller is done/);
    expect(endCall(Date.now())).toMatchObject({ ok: true, action: { type: "end_call" } });
  });

  it("transfer: the configured number wins over the model's", () => {
    const tool = { type: "transfer" as const, number: "+14155550100" };
    expect(transferSpec(tool).parameters).toEqual({ type: "object", properties: {} });
    expect(transfer(tool, { number: "+442071838750" }, Date.now())).toMatchObject({
      ok: true,
      action: { type: "transfer", number: "+14155550100" },
    });
  });

  it("transfer without a configured number: the model must give an E.164 number", () => {
    const tool = { type: "transfer" as const };
    const check = argumentChecker(transferSpec(tool).parameters);
    expect(check('{"number":"+442071838750"}').ok).toBe(true);
    expect(check('{"number":"020 7183 8750"}').ok).toBe(false);
    expect(check("{}").ok).toBe(false);
    expect(transfer(tool, { number: "+442071838750" }, Date.now()).action).toEqual({
      type: "transfer",
      number: "+442071838750",
    });
    expect(transfer(tool, {}, Date.now())).toMatchObject({ ok: false, result: { error: expect.any(String) } });
    expect(transfer(tool, { number: "12" }, Date.now()).ok).toBe(false);
  });
});
