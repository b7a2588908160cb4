// The extension's settings: `ferrofix.server.*` for the client, and the server's settings, mirrored one
// to one from ferrofix's Settings class (tests check package.json against it). Only values the user set
// explicitly go to the server, so that ferrofix's own settings file keeps applying to the rest.
import type { ConfigurationScope } from "vscode";
import { getConfiguration, workspaceFolders } from "./vscodeapi";

/** The server's sections and their keys (camelCase), as in ferrofix.settings. */
export const SERVER_KEYS: Record<string, string[]> = {
  check: ["command", "extraArgs", "features", "allTargets", "timeoutS", "onSave", "debounceMs", "onType", "typeDebounceMs",
    "scope"],
  llm: ["backend", "model", "nCtx", "nThreads", "gpuLayers", "url", "apiKey"],
  repair: ["maxRounds", "timeoutS", "samples", "resample", "maxTokens", "allowBuildScripts", "runTests", "testTimeoutS"],
  kb: ["dir", "qdrantUrl", "embeddingModel", "examples"],
};

/** Settings whose change restarts the server (the others reach it through workspace/configuration). */
export const RESTART_KEYS = ["ferrofix.server", "ferrofix.llm", "ferrofix.kb"];

export interface ClientSettings {
  python: string;
}

export type ServerSettings = Record<string, Record<string, unknown>>;

/** `${workspaceFolder}` (and `${workspaceFolder:name}`), `${userHome}` and `~` substituted. */
export function resolveVariables(value: string, home: string = process.env.HOME ?? ""): string {
  const folders = workspaceFolders();
  let out = value.replace(/^~(?=$|[/\\])/, home).replace(/\$\{userHome\}/g, home);
  out = out.replace(/\$\{workspaceFolder:([^}]+)\}/g, (_m, name: string) =>
    folders.find((f) => f.name === name)?.uri.fsPath ?? "");
  if (folders.length > 0) {
    out = out.replace(/\$\{workspaceFolder\}/g, folders[0].uri.fsPath);
  }
  return out;
}

export function clientSettings(scope?: ConfigurationScope): ClientSettings {
  const cfg = getConfiguration("ferrofix", scope);
  return { python: resolveVariables(cfg.get<string>("server.python", "")) };
}

/** The server settings the user set explicitly (any level), nested by section; strings substituted. */
export function serverSettings(scope?: ConfigurationScope): ServerSettings {
  const cfg = getConfiguration("ferrofix", scope);
  const out: ServerSettings = {};
  for (const [section, keys] of Object.entries(SERVER_KEYS)) {
    for (const key of keys) {
      const info = cfg.inspect(`${section}.${key}`);
      const value = info?.workspaceFolderValue ?? info?.workspaceValue ?? info?.globalValue;
      if (value !== undefined) {
        (out[section] ??= {})[key] = typeof value === "string" ? resolveVariables(value) : value;
      }
    }
  }
  return out;
}
