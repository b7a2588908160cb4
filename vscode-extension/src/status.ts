// The status bar item: idle / checking / fixing (with the model name) / error, from the server's
// `ferrofix/status` notifications.
import type { StatusBarItem } from "vscode";

export interface ServerStatus {
  state: "idle" | "checking" | "fixing" | "error" | "starting" | "stopped";
  model?: string;
  message?: string;
}

export function statusText(s: ServerStatus): { text: string; tooltip: string } {
  switch (s.state) {
    case "checking":
      return { text: "$(sync~spin) ferrofix: checking", tooltip: "cargo check is running" };
    case "fixing":
      return { text: `$(sparkle) ferrofix: fixing${s.model ? ` (${s.model})` : ""}`,
        tooltip: "A local model is looking for a fix; every candidate is checked by cargo" };
    case "error":
      return { text: "$(error) ferrofix", tooltip: s.message || "ferrofix reported a problem (see the output)" };
    case "starting":
      return { text: "$(loading~spin) ferrofix", tooltip: "starting the language server" };
    case "stopped":
      return { text: "$(circle-slash) ferrofix", tooltip: s.message || "the language server is not running" };
    default:
      return { text: "$(check) ferrofix", tooltip: "ferrofix is idle" };
  }
}

export class Status {
  constructor(private readonly item: StatusBarItem) {
    item.command = "ferrofix.showOutput";
    this.set({ state: "starting" });
    item.show();
  }

  set(s: ServerStatus): void {
    const { text, tooltip } = statusText(s);
    this.item.text = text;
    this.item.tooltip = tooltip;
  }
}
