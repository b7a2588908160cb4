// ferrofix for VS Code: starts the language server, passes settings, restarts it when the interpreter or
// a server setting changes, and adds commands and a status bar item.
import * as vscode from "vscode";
import { spawn } from "child_process";
import type { LanguageClient } from "vscode-languageclient/node";
import { COMMANDS, SERVER_COMMANDS } from "./commands";
import { findInterpreter } from "./python";
import { createClient } from "./server";
import { ServerLog, startFailure } from "./serverlog";
import { clientSettings, RESTART_KEYS } from "./settings";
import { Status } from "./status";
import * as api from "./vscodeapi";

/** Everything the extension holds between activation and deactivation. */
class State {
  client: LanguageClient | undefined;
  python = "";
  restartTimer: NodeJS.Timeout | undefined;
  readonly log: ServerLog;

  constructor(readonly channel: vscode.LogOutputChannel, readonly status: Status) {
    this.log = new ServerLog(channel);
  }
}

let state: State | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const channel = api.createOutputChannel("ferrofix");
  const item = api.createStatusBarItem();
  const s = new State(channel, new Status(item));
  state = s;
  context.subscriptions.push(channel, item,
    api.registerCommand(COMMANDS.restartServer, () => restart(s)),
    api.registerCommand(COMMANDS.showOutput, () => channel.show()),
    api.registerCommand(COMMANDS.checkWorkspace, () => serverCommand(s, SERVER_COMMANDS.checkWorkspace)),
    api.registerCommand(COMMANDS.fixWithAI, () => fixAtCursor(s)),
    api.registerCommand(COMMANDS.fixAll, () => fixAll(s)),
    api.registerCommand(COMMANDS.explainError, () => explainAtCursor(s)),
    api.registerCommand(COMMANDS.openKnowledgeBase, () => openKnowledgeBase(s)),
    api.onDidChangeConfiguration((e) => {
      if (RESTART_KEYS.some((k) => e.affectsConfiguration(k))) {
        scheduleRestart(s);
      }
    }),
  );
  const pyExt = api.getExtension<{ environments?: { onDidChangeActiveEnvironmentPath: vscode.Event<unknown> } }>(
    "ms-python.python");
  if (pyExt?.isActive && pyExt.exports.environments) {
    context.subscriptions.push(pyExt.exports.environments.onDidChangeActiveEnvironmentPath(() => scheduleRestart(s)));
  }
  await start(s);
}

export async function deactivate(): Promise<void> {
  if (state) {
    await stop(state);
    state = undefined;
  }
}

function scheduleRestart(s: State): void {
  if (s.restartTimer) {
    clearTimeout(s.restartTimer);
  }
  s.restartTimer = setTimeout(() => void restart(s), 500);
}

async function start(s: State): Promise<void> {
  const interpreter = await findInterpreter(clientSettings().python);
  if (!interpreter) {
    s.status.set({ state: "stopped", message: "no Python interpreter with ferrofix" });
    const pick = await api.showErrorMessage(
      "ferrofix: no Python interpreter found. Set ferrofix.server.python, select an environment with the " +
      "Python extension, or run installer/install.sh.", "Open setting");
    if (pick) {
      await api.executeCommand("workbench.action.openSettings", "ferrofix.server.python");
    }
    return;
  }
  s.python = interpreter.path;
  s.channel.info(`starting ferrofix_lsp with ${s.python} (from the ${interpreter.source})`);
  s.status.set({ state: "starting" });
  const client = createClient(s.python, s.log, (st) => s.status.set(st));
  s.client = client;
  try {
    await client.start();
    s.status.set({ state: "idle" });
  } catch (e) {
    const message = startFailure(s.python, e, s.log.recent);
    s.status.set({ state: "error", message });
    s.channel.error(message);
    void api.showErrorMessage(`ferrofix: ${message}`, "Show output").then((p) => {
      if (p) {
        s.channel.show();
      }
    });
  }
}

async function stop(s: State): Promise<void> {
  if (s.client) {
    const c = s.client;
    s.client = undefined;
    try {
      await c.stop();
    } catch (e) {
      s.channel.warn(`stopping the server: ${e}`);
    }
  }
}

async function restart(s: State): Promise<void> {
  await stop(s);
  await start(s);
}

async function serverCommand(s: State, command: string, ...args: unknown[]): Promise<unknown> {
  if (!s.client?.isRunning()) {
    void api.showErrorMessage("ferrofix: the language server is not running");
    return undefined;
  }
  return s.client.sendRequest("workspace/executeCommand", { command, arguments: args });
}

function diagnosticAtCursor(): { editor: vscode.TextEditor; diagnostic: vscode.Diagnostic } | undefined {
  const editor = api.activeTextEditor();
  if (!editor) {
    return undefined;
  }
  const found = api.diagnosticsAt(editor.document.uri, editor.selection.active)
    .sort((a, b) => a.severity - b.severity);
  return found.length ? { editor, diagnostic: found[0] } : undefined;
}

async function fixAtCursor(s: State): Promise<void> {
  const at = diagnosticAtCursor();
  if (!at || !s.client) {
    void api.showInformationMessage("ferrofix: no error at the cursor");
    return;
  }
  const diagnostic = s.client.code2ProtocolConverter.asDiagnostic(at.diagnostic);
  const result = await serverCommand(s, SERVER_COMMANDS.fixWithAI, at.editor.document.uri.toString(), diagnostic) as
    { applied: boolean; message: string } | undefined;
  if (result && !result.applied) {
    void api.showInformationMessage(`ferrofix: ${result.message}`);
  }
}

/** "Fix all errors in workspace": the server repairs every cargo workspace of the active file's folder
 * (or all of them) and applies one verified WorkspaceEdit (one undo); its trace is in the output. */
async function fixAll(s: State): Promise<void> {
  const uri = api.activeTextEditor()?.document.uri.toString();
  const result = await serverCommand(s, SERVER_COMMANDS.fixAll, ...(uri ? [uri] : [])) as
    { applied: boolean; message: string } | undefined;
  if (result) {
    void api.showInformationMessage(`ferrofix: ${result.message}`);
  }
}

async function explainAtCursor(s: State): Promise<void> {
  const at = diagnosticAtCursor();
  let code = at && typeof at.diagnostic.code === "object" ? String(at.diagnostic.code.value) : String(at?.diagnostic.code ?? "");
  if (!/^E\d{4}$/.test(code)) {
    code = (await api.showInputBox({ prompt: "Error code to explain", placeHolder: "E0382" })) ?? "";
  }
  if (code) {
    await serverCommand(s, SERVER_COMMANDS.explain, code.trim().toUpperCase(), at?.diagnostic.message ?? "");
  }
}

function openKnowledgeBase(s: State): void {
  if (!s.python) {
    void api.showErrorMessage("ferrofix: no Python interpreter with ferrofix");
    return;
  }
  const child = spawn(s.python, ["-m", "ferrofix_desktop"], { detached: true, stdio: "ignore" });
  child.on("error", (e) => void api.showErrorMessage(`ferrofix: cannot start the desktop app: ${e.message}`));
  child.on("exit", (code) => {
    if (code) {
      void api.showErrorMessage("ferrofix: the desktop app is not installed in this environment " +
        "(pip install 'ferrofix[desktop]')");
    }
  });
  child.unref();
}
