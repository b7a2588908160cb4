import * as assert from "assert";
import * as sinon from "sinon";
import * as api from "../src/vscodeapi";
import { resolveVariables, serverSettings, SERVER_KEYS } from "../src/settings";

function config(values: Record<string, { globalValue?: unknown; workspaceValue?: unknown; workspaceFolderValue?: unknown }>) {
  return {
    get: (key: string, dflt: unknown) => values[key]?.globalValue ?? dflt,
    inspect: (key: string) => (values[key] ? { key, ...values[key] } : { key }),
  };
}

describe("settings", () => {
  afterEach(() => sinon.restore());

  it("sends only explicitly set server values, nested by section, most specific level first", () => {
    sinon.stub(api, "getConfiguration").returns(config({
      "check.onSave": { globalValue: false },
      "llm.model": { globalValue: "a", workspaceValue: "b" },
      "kb.dir": { workspaceFolderValue: "${userHome}/kb" },
    }) as never);
    sinon.stub(api, "workspaceFolders").returns([]);
    const s = serverSettings();
    assert.deepStrictEqual(s.check, { onSave: false });
    assert.strictEqual(s.llm.model, "b");
    assert.strictEqual(s.kb.dir, `${process.env.HOME}/kb`);
    assert.strictEqual(s.repair, undefined);
  });

  it("substitutes workspace folder variables", () => {
    sinon.stub(api, "workspaceFolders").returns([
      { name: "app", index: 0, uri: { fsPath: "/w/app" } },
      { name: "lib", index: 1, uri: { fsPath: "/w/lib" } },
    ] as never);
    assert.strictEqual(resolveVariables("${workspaceFolder}/.venv/bin/python"), "/w/app/.venv/bin/python");
    assert.strictEqual(resolveVariables("${workspaceFolder:lib}/x"), "/w/lib/x");
    assert.strictEqual(resolveVariables("~/py", "/home/u"), "/home/u/py");
  });

  it("lists every server setting of package.json", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pkg = require("../../package.json");
    const props = Object.keys(pkg.contributes.configuration.properties)
      .filter((k) => !k.startsWith("ferrofix.server."));
    const listed = Object.entries(SERVER_KEYS).flatMap(([s, keys]) => keys.map((k) => `ferrofix.${s}.${k}`));
    assert.deepStrictEqual(props.sort(), listed.sort());
  });
});
