import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as sinon from "sinon";
import * as api from "../src/vscodeapi";
import { findInterpreter, installerRecords } from "../src/python";

describe("interpreter discovery", () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "ff-ext-")); });
  afterEach(() => { sinon.restore(); fs.rmSync(dir, { recursive: true, force: true }); });

  function record(): string {
    const py = path.join(dir, "python");
    fs.writeFileSync(py, "");
    const rec = path.join(dir, "python-path");
    fs.writeFileSync(rec, py + "\n");
    return rec;
  }

  it("uses the setting first", async () => {
    const get = sinon.stub(api, "getExtension");
    const found = await findInterpreter("/opt/py/bin/python", undefined, [record()]);
    assert.deepStrictEqual(found, { path: "/opt/py/bin/python", source: "setting" });
    assert.ok(get.notCalled);
  });

  it("then the Python extension's active environment", async () => {
    const environments = {
      getActiveEnvironmentPath: () => ({ path: "/envs/a" }),
      resolveEnvironment: async () => ({ executable: { uri: { fsPath: "/envs/a/bin/python" } } }),
    };
    sinon.stub(api, "getExtension").returns({ isActive: true, exports: { environments } } as never);
    const found = await findInterpreter("", undefined, [record()]);
    assert.deepStrictEqual(found, { path: "/envs/a/bin/python", source: "python-extension" });
  });

  it("then the venv the installer recorded", async () => {
    sinon.stub(api, "getExtension").returns(undefined);
    const rec = record();
    const found = await findInterpreter("", undefined, [path.join(dir, "missing"), rec]);
    assert.deepStrictEqual(found, { path: path.join(dir, "python"), source: "installer" });
  });

  it("else nothing", async () => {
    sinon.stub(api, "getExtension").returns(undefined);
    assert.strictEqual(await findInterpreter("", undefined, [path.join(dir, "missing")]), undefined);
  });

  it("knows where each installer records its interpreter", () => {
    const recs = installerRecords({ XDG_CACHE_HOME: "/x", LOCALAPPDATA: "C:\\L" }, "/home/u");
    assert.strictEqual(recs[0], path.join("/x", "ferrofix", "python-path"));
    assert.ok(recs.includes(path.join("/home/u", ".cache", "ferrofix", "python-path")));
    assert.ok(recs.includes(path.join("C:\\L", "ferrofix", "python-path")));
  });
});
