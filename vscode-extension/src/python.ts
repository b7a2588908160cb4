// Which Python runs the server: the `ferrofix.server.python` setting, else the Python extension's
// active environment, else the venv ferrofix's installer recorded, else none (the caller explains).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Uri } from "vscode";
import { getExtension } from "./vscodeapi";

export interface Interpreter {
  path: string;
  source: "setting" | "python-extension" | "installer";
}

interface PythonExtensionApi {
  environments: {
    getActiveEnvironmentPath(resource?: Uri): { path: string };
    resolveEnvironment(env: { path: string } | string): Promise<{ executable: { uri?: Uri } } | undefined>;
  };
}

/** Files where the installer records its interpreter (installer/install.sh, installer/install.ps1). */
export function installerRecords(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string[] {
  const out: string[] = [];
  if (env.XDG_CACHE_HOME) {
    out.push(path.join(env.XDG_CACHE_HOME, "ferrofix", "python-path"));
  }
  out.push(path.join(home, ".cache", "ferrofix", "python-path"));
  out.push(path.join(home, "Library", "Caches", "ferrofix", "python-path"));
  if (env.LOCALAPPDATA) {
    out.push(path.join(env.LOCALAPPDATA, "ferrofix", "python-path"));
  }
  return out;
}

/** The interpreter the installer recorded, when the file exists and names an existing file. */
export function fromInstaller(records: string[] = installerRecords()): string | undefined {
  for (const file of records) {
    try {
      const p = fs.readFileSync(file, "utf8").trim();
      if (p && fs.existsSync(p)) {
        return p;
      }
    } catch {
      // not there: try the next place
    }
  }
  return undefined;
}

/** The Python extension's active environment for `resource`, if the extension is installed. */
export async function fromPythonExtension(resource?: Uri): Promise<string | undefined> {
  const ext = getExtension<PythonExtensionApi>("ms-python.python");
  if (!ext) {
    return undefined;
  }
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const active = api.environments.getActiveEnvironmentPath(resource);
    const env = await api.environments.resolveEnvironment(active);
    return env?.executable.uri?.fsPath;
  } catch {
    return undefined;
  }
}

export async function findInterpreter(setting: string, resource?: Uri,
  records: string[] = installerRecords()): Promise<Interpreter | undefined> {
  if (setting) {
    return { path: setting, source: "setting" };
  }
  const fromExt = await fromPythonExtension(resource);
  if (fromExt) {
    return { path: fromExt, source: "python-extension" };
  }
  const fromFile = fromInstaller(records);
  if (fromFile) {
    return { path: fromFile, source: "installer" };
  }
  return undefined;
}
