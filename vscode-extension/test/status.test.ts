import * as assert from "assert";
import { Status, statusText } from "../src/status";

describe("status bar", () => {
  it("shows each server state", () => {
    assert.match(statusText({ state: "idle" }).text, /ferrofix$/);
    assert.match(statusText({ state: "checking" }).text, /checking/);
    assert.strictEqual(statusText({ state: "fixing", model: "qwen2.5-coder" }).text,
      "$(sparkle) ferrofix: fixing (qwen2.5-coder)");
    assert.strictEqual(statusText({ state: "error", message: "cargo not found" }).tooltip, "cargo not found");
  });

  it("drives the item and opens the output on click", () => {
    const item = { text: "", tooltip: "", command: "", shown: false, show() { this.shown = true; } };
    const s = new Status(item as never);
    assert.strictEqual(item.command, "ferrofix.showOutput");
    assert.ok(item.shown);
    s.set({ state: "checking" });
    assert.match(item.text, /checking/);
  });
});
