// The language client's output channel: one line in the ferrofix log per thing said, at its level.
//
// vscode-languageclient writes two streams into the channel it is given: the server's stderr, in raw
// chunks through `append` (Python logging lines, `LEVEL logger: message`, each ending in "\n"), and its
// own lines through `appendLine` (`[Info  - 10:11:12] message` for `window/logMessage`, traces). A
// `LogOutputChannel` stamps every call with its own time and level, so passed through as they are they
// show two timestamps and a blank line per stderr chunk. `ServerLog` splits, parses and forwards each
// line once to the matching `LogOutputChannel` method.
import type { LogOutputChannel, OutputChannel, ViewColumn } from "vscode";

export type Level = "trace" | "debug" | "info" | "warn" | "error";

const PY_LEVELS: Record<string, Level> = {
  DEBUG: "debug", INFO: "info", WARNING: "warn", ERROR: "error", CRITICAL: "error",
};
const CLIENT_LEVELS: Record<string, Level> = {
  Trace: "trace", Debug: "debug", Info: "info", Warn: "warn", Error: "error",
};
// Python logging, with or without an asctime: `2026-11-28 10:11:12,345 WARNING ferrofix_lsp: text`.
const PY_LINE = /^(?:\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d+)? )?(DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+?): (.*)$/s;
// vscode-languageclient's `logOutputMessage`: `[Info  - 10:11:12 AM] text`.
const CLIENT_LINE = /^\[(Trace|Debug|Info|Warn|Error)\s*- [^\]]*\] ?(.*)$/s;

/** The level and text of one line written to the client's channel; unknown lines are `info` as they are. */
export function parseLine(line: string): { level: Level; message: string } {
  let m = PY_LINE.exec(line);
  if (m) {
    return { level: PY_LEVELS[m[1]], message: m[2] === "ferrofix_lsp" ? m[3] : `${m[2]}: ${m[3]}` };
  }
  m = CLIENT_LINE.exec(line);
  if (m) {
    return { level: CLIENT_LEVELS[m[1]], message: m[2] };
  }
  return { level: "info", message: line };
}

/** An `OutputChannel` for `LanguageClientOptions.outputChannel` that writes into a `LogOutputChannel`. */
export class ServerLog implements OutputChannel {
  private partial = "";
  // a Python traceback continues a logging line: its lines keep that line's level
  private lastLevel: Level = "info";
  /** The last lines written (at most 20), newest last: what to show when the server fails to start. */
  readonly recent: string[] = [];

  constructor(private readonly channel: LogOutputChannel) {}

  get name(): string {
    return this.channel.name;
  }

  /** A chunk of the server's stderr: complete lines are forwarded, the rest waits for its newline. */
  append(value: string): void {
    const lines = (this.partial + value).split(/\r?\n/);
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      this.line(line);
    }
  }

  appendLine(value: string): void {
    this.append(`${value}\n`);
  }

  private line(text: string): void {
    if (!text.trim()) {
      return;
    }
    const parsed = /^(\s|Traceback |\w+(Error|Exception)\b)/.test(text) && !PY_LINE.test(text) && !CLIENT_LINE.test(text)
      ? { level: this.lastLevel, message: text }
      : parseLine(text);
    this.lastLevel = parsed.level;
    this.recent.push(parsed.message);
    if (this.recent.length > 20) {
      this.recent.shift();
    }
    this.channel[parsed.level](parsed.message);
  }

  replace(value: string): void {
    this.channel.replace(value);
  }

  clear(): void {
    this.channel.clear();
  }

  show(columnOrPreserve?: ViewColumn | boolean, preserveFocus?: boolean): void {
    if (typeof columnOrPreserve === "boolean" || columnOrPreserve === undefined) {
      this.channel.show(columnOrPreserve);
    } else {
      this.channel.show(columnOrPreserve, preserveFocus);
    }
  }

  hide(): void {
    this.channel.hide();
  }

  dispose(): void {
    // the channel belongs to the extension, which disposes it; a restarted client reuses it
  }
}

/**
 * The message shown when `client.start()` fails: the client's own error, then the server's last words
 * when they say more (a missing module, a traceback's last line), e.g. "the language server did not
 * start with /venv/bin/python: Server initialization failed. — No module named ferrofix_lsp".
 */
export function startFailure(python: string, error: unknown, recent: readonly string[]): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = [...recent].reverse().find((l) => /error|exception|no module|not found|denied|traceback/i.test(l));
  const why = cause && !message.includes(cause.trim()) ? ` — ${cause.trim()}` : "";
  return `the language server did not start with ${python}: ${message}${why}`;
}
