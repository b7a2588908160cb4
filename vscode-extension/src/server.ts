// Start and stop `python -m ferrofix_lsp` over stdio with vscode-languageclient.
import type { LogOutputChannel } from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
} from "vscode-languageclient/node";
import { serverSettings, SERVER_KEYS } from "./settings";
import type { ServerStatus } from "./status";

export function createClient(python: string, channel: LogOutputChannel,
  onStatus: (s: ServerStatus) => void): LanguageClient {
  const serverOptions: ServerOptions = {
    command: python,
    args: ["-m", "ferrofix_lsp"],
    options: { env: { ...process.env, PYTHONUNBUFFERED: "1" } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "rust" },
      { scheme: "file", pattern: "**/Cargo.toml" },
      { scheme: "file", pattern: "**/Cargo.lock" },
    ],
    outputChannel: channel,
    traceOutputChannel: channel,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationOptions: serverSettings(),
    middleware: {
      workspace: {
        // answer workspace/configuration with the values the user set, not VS Code's defaults, so that
        // ferrofix's settings file keeps applying to everything else
        configuration: (params) =>
          params.items.map((item) => {
            if (item.section !== "ferrofix") {
              return null;
            }
            return serverSettings(item.scopeUri ? { uri: item.scopeUri } as never : undefined);
          }),
      },
    },
    synchronize: { configurationSection: Object.keys(SERVER_KEYS).map((s) => `ferrofix.${s}`) },
  };
  const client = new LanguageClient("ferrofix", "ferrofix", serverOptions, clientOptions);
  client.onNotification("ferrofix/status", (s: ServerStatus) => onStatus(s));
  return client;
}
