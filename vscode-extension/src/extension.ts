// ferrofix for VS Code: starts the language server, passes settings, restarts it when the interpreter or
// a server setting changes, and adds commands and a status bar item.
import * as vscode from "vscode";
import { spawn } from "child_process";
import type { LanguageClient } from "vscode-languageclient/node";
import { findInterpreter } from "./python";
import { createClient } from "./server";
import { clientSettings, RESTART_KEYS } from "./settings";
import { Status } from "./status";
import * as api from "./vscodeapi";

let client: LanguageClient | undefined;
let channel: vscode.LogOutputChannel;
let status: Status;
let python = "";
let restartTimer: NodeJS.Timeout | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  channel = api.createOutputChannel("ferrofix");
  const item = api.createStatusBarItem();
  status = new Status(item);
  context.subscriptions.push(channel, item,
    api.registerCommand("ferrofix.restartServer", () => restart()),
    api.registerCommand("ferrofix.showOutput", () => channel.show()),
    api.registerCommand("ferrofix.checkWorkspace", () => serverCommand("ferrofix.checkWorkspace")),
    api.registerCommand("ferrofix.fixWithAI", () => fixAtCursor()),
    api.registerCommand("ferrofix.explainError", () => explainAtCursor()),
    api.registerCommand("ferrofix.openKnowledgeBase", () => openKnowledgeBase()),
    api.onDidChangeConfiguration((e) => {
      if (RESTART_KEYS.some((k) => e.affectsConfiguration(k))) {
        scheduleRestart();
      }
    }),
  );
  const pyExt = api.getExtension<{ environments?: { onDidChangeActiveEnvironmentPath: vscode.Event<unknown> } }>(
    "ms-python.python");
  if (pyExt?.isActive && pyExt.exports.environments) {
    context.subscriptions.push(pyExt.exports.environments.onDidChangeActiveEnvironmentPath(() => scheduleRestart()));
  }
  await start();
}

export async function deactivate(): Promise<void> {
  await stop();
}

function scheduleRestart(): void {
  if (restartTimer) {
    clearTimeout(restartTimer);
  }
  restartTimer = setTimeout(() => void restart(), 500);
}

async function start(): Promise<void> {
  const interpreter = await findInterpreter(clientSettings().python);
  if (!interpreter) {
    status.set({ state: "stopped", message: "no Python interpreter with ferrofix" });
    const pick = await api.showErrorMessage(
      "ferrofix: no Python interpreter found. Set ferrofix.server.python, select an environment with the " +
      "Python extension, or run installer/install.sh.", "Open setting");
    if (pick) {
      await api.executeCommand("workbench.action.openSettings", "ferrofix.server.python");
    }
    return;
  }
  python = interpreter.path;
  channel.info(`starting ferrofix_lsp with ${python} (from the ${interpreter.source})`);
  status.set({ state: "starting" });
  client = createClient(python, channel, (s) => status.set(s));
  try {
    await client.start();
    status.set({ state: "idle" });
  } catch (e) {
    status.set({ state: "error", message: String(e) });
    channel.error(`the server did not start: ${e}`);
    void api.showErrorMessage(`ferrofix: the language server did not start with ${python} ` +
      "(is ferrofix installed in it? pip install 'ferrofix[lsp]')", "Show output").then((p) => {
      if (p) {
        channel.show();
      }
    });
  }
}

async function stop(): Promise<void> {
  if (client) {
    const c = client;
    client = undefined;
    try {
      await c.stop();
    } catch (e) {
      channel.warn(`stopping the server: ${e}`);
    }
  }
}

async function restart(): Promise<void> {
  await stop();
  await start();
}

async function serverCommand(command: string, ...args: unknown[]): Promise<unknown> {
  if (!client) {
    void api.showErrorMessage("ferrofix: the language server is not running");
    return undefined;
  }
  return client.sendRequest("workspace/executeCommand", { command, arguments: args });
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

async function fixAtCursor(): Promise<void> {
  const at = diagnosticAtCursor();
  if (!at || !client) {
    void api.showInformationMessage("ferrofix: no error at the cursor");
    return;
  }
  const diagnostic = client.code2ProtocolConverter.asDiagnostic(at.diagnostic);
  const result = await serverCommand("ferrofix.fixWithAI", at.editor.document.uri.toString(), diagnostic) as
    { applied: boolean; message: string } | undefined;
  if (result && !result.applied) {
    void api.showInformationMessage(`ferrofix: ${result.message}`);
  }
}

async function explainAtCursor(): Promise<void> {
  const at = diagnosticAtCursor();
  let code = at && typeof at.diagnostic.code === "object" ? String(at.diagnostic.code.value) : String(at?.diagnostic.code ?? "");
  if (!/^E\d{4}$/.test(code)) {
    code = (await api.showInputBox({ prompt: "Error code to explain", placeHolder: "E0382" })) ?? "";
  }
  if (code) {
    await serverCommand("ferrofix.explain", code.trim().toUpperCase(), at?.diagnostic.message ?? "");
  }
}

function openKnowledgeBase(): void {
  if (!python) {
    void api.showErrorMessage("ferrofix: no Python interpreter with ferrofix");
    return;
  }
  const child = spawn(python, ["-m", "ferrofix_desktop"], { detached: true, stdio: "ignore" });
  child.on("error", (e) => void api.showErrorMessage(`ferrofix: cannot start the desktop app: ${e.message}`));
  child.on("exit", (code) => {
    if (code) {
      void api.showErrorMessage("ferrofix: the desktop app is not installed in this environment " +
        "(pip install 'ferrofix[desktop]')");
    }
  });
  child.unref();
}
