// Mocha setup: `require("vscode")` resolves to a small stub (the VS Code API is only available inside
// VS Code); tests replace its functions with sinon stubs.
import Module from "module";

export const vscodeStub = {
  workspace: {
    getConfiguration: (): unknown => undefined,
    workspaceFolders: undefined as unknown,
    onDidChangeConfiguration: (): unknown => ({ dispose() { /* stub */ } }),
  },
  window: {},
  commands: {},
  languages: {},
  extensions: { getExtension: (): unknown => undefined },
  StatusBarAlignment: { Left: 1, Right: 2 },
};

type Resolver = (request: string, ...rest: unknown[]) => string;
const mod = Module as unknown as { _resolveFilename: Resolver; _cache: Record<string, unknown> };
const original = mod._resolveFilename;
mod._resolveFilename = function (request: string, ...rest: unknown[]): string {
  if (request === "vscode") {
    return "vscode";
  }
  return original.call(this, request, ...rest);
};
mod._cache["vscode"] = { id: "vscode", filename: "vscode", loaded: true, exports: vscodeStub };
