import * as assert from "assert";
import { parseLine, ServerLog, startFailure } from "../src/serverlog";

function channel(): { lines: [string, string][]; api: never } {
  const lines: [string, string][] = [];
  const rec = (level: string) => (m: string) => lines.push([level, m]);
  const api = { name: "ferrofix", trace: rec("trace"), debug: rec("debug"), info: rec("info"), warn: rec("warn"),
    error: rec("error") };
  return { lines, api: api as never };
}

describe("server log", () => {
  it("parses Python logging lines with and without a timestamp, and the client's own lines", () => {
    assert.deepStrictEqual(parseLine("WARNING ferrofix_lsp: cargo not found"), { level: "warn", message: "cargo not found" });
    assert.deepStrictEqual(parseLine("2026-11-28 07:52:22,123 INFO pygls.server: listening"),
      { level: "info", message: "pygls.server: listening" });
    assert.deepStrictEqual(parseLine("[Info  - 10:11:12 AM] check of /w: 2 errors"), { level: "info", message: "check of /w: 2 errors" });
    assert.deepStrictEqual(parseLine("[Error - 10:11:12] boom"), { level: "error", message: "boom" });
    assert.deepStrictEqual(parseLine("plain text"), { level: "info", message: "plain text" });
  });

  it("writes each stderr line once, at its level, without blank lines, across chunk boundaries", () => {
    const c = channel();
    const log = new ServerLog(c.api);
    log.append("INFO ferrofix_lsp: first\nWARNING ferrofix_lsp: sec");
    log.append("ond\n\n");
    log.appendLine("[Info  - 1:02:03 PM] from logMessage");
    assert.deepStrictEqual(c.lines, [["info", "first"], ["warn", "second"], ["info", "from logMessage"]]);
  });

  it("keeps a traceback at the level of the line it follows", () => {
    const c = channel();
    const log = new ServerLog(c.api);
    log.append("ERROR ferrofix_lsp: handler failed\nTraceback (most recent call last):\n  File \"x.py\", line 1\nValueError: bad\n");
    assert.deepStrictEqual(c.lines.map((l) => l[0]), ["error", "error", "error", "error"]);
    assert.strictEqual(log.recent.at(-1), "ValueError: bad");
  });

  it("says why the server did not start, with the server's last words", () => {
    const msg = startFailure("/v/bin/python", new Error("Server initialization failed."),
      ["starting", "/v/bin/python: No module named ferrofix_lsp"]);
    assert.strictEqual(msg, "the language server did not start with /v/bin/python: Server initialization failed. " +
      "— /v/bin/python: No module named ferrofix_lsp");
    assert.strictEqual(startFailure("p", new Error("command 'x' already exists"), []),
      "the language server did not start with p: command 'x' already exists");
  });
});
