import { describe, expect, it } from "vitest";
import { SerialQueue } from "./serial-queue";

describe("SerialQueue", () => {
  it("runs tasks one at a time in arrival order even when they await", async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => {
      log.push(`${name}:start`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${name}:end`);
      return name;
    };
    const results = await Promise.all([queue.run(task("a", 30)), queue.run(task("b", 1)), queue.run(task("c", 10))]);
    expect(results).toEqual(["a", "b", "c"]);
    expect(log).toEqual(["a:start", "a:end", "b:start", "b:end", "c:start", "c:end"]);
  });

  it("keeps going after a task fails", async () => {
    const queue = new SerialQueue();
    const failed = queue.run(async () => {
      throw new Error("boom");
    });
    await expect(failed).rejects.toThrow("boom");
    await expect(queue.run(async () => "next")).resolves.toBe("next");
  });
});
