// Command ids. The extension's own (contributed in package.json) are `ferrofix.*`; the language
// server's (advertised in `executeCommandProvider`, lsp/ferrofix_lsp/actions.py) are `ferrofix.server.*`.
// vscode-languageclient registers each advertised id as a VS Code command, and registering an id twice
// throws "command already exists" from `client.start()`: the two sets must never meet.

/** The server's `workspace/executeCommand` ids. */
export const SERVER_COMMANDS = {
  fixWithAI: "ferrofix.server.fixWithAI",
  explain: "ferrofix.server.explain",
  checkWorkspace: "ferrofix.server.checkWorkspace",
  recordAccepted: "ferrofix.server.recordAccepted",
  fixAll: "ferrofix.server.fixAll",
} as const;

/** The user-facing commands this extension registers (package.json `contributes.commands`). */
export const COMMANDS = {
  fixWithAI: "ferrofix.fixWithAI",
  fixAll: "ferrofix.fixAll",
  explainError: "ferrofix.explainError",
  checkWorkspace: "ferrofix.checkWorkspace",
  restartServer: "ferrofix.restartServer",
  openKnowledgeBase: "ferrofix.openKnowledgeBase",
  showOutput: "ferrofix.showOutput",
} as const;
