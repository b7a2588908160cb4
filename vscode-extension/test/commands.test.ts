import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { COMMANDS, SERVER_COMMANDS } from "../src/commands";

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as
  { contributes: { commands: { command: string }[] } };

describe("command ids", () => {
  it("contributes exactly the extension's commands", () => {
    assert.deepStrictEqual(pkg.contributes.commands.map((c) => c.command).sort(), Object.values(COMMANDS).sort());
  });

  it("never contributes a command id the server advertises (the client registers those itself)", () => {
    const contributed = new Set(pkg.contributes.commands.map((c) => c.command));
    for (const id of Object.values(SERVER_COMMANDS)) {
      assert.ok(!contributed.has(id), `${id} is both contributed and advertised`);
      assert.match(id, /^ferrofix\.server\./);
    }
  });
});
