// Start and stop `python -m ferrofix_lsp` over stdio with vscode-languageclient.
//
// The server's `workspace/executeCommand` ids are `ferrofix.server.*` (SERVER_COMMANDS in commands.ts):
// the client registers every id the server advertises as a VS Code command, so they must differ from
// the user-facing `ferrofix.*` commands this extension contributes, which call them.
import {
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
} from "vscode-languageclient/node";
import type { ServerLog } from "./serverlog";
import { serverSettings, SERVER_KEYS } from "./settings";
import type { ServerStatus } from "./status";

/** A language client for `python -m ferrofix_lsp`, writing into `log`; not started. */
export function createClient(python: string, log: ServerLog,
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
    outputChannel: log,
    traceOutputChannel: log,
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
