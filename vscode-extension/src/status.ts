// What the status bar item says: the server's state, the checks in progress (the server's work-done progress)
// and how many functions of the active file depart from their teacher. Pure, so that it is tested alone.

export type ServerState = "starting" | "running" | "failed" | "stopped";

export interface Progress {
  title?: string;
  message?: string;
  percentage?: number;
}

export interface StatusView {
  text: string;
  tooltip: string;
  busy: boolean;
}

export class StatusModel {
  private state: ServerState = "stopped";
  private reason = "";
  private readonly progress = new Map<string, Progress>();
  private findings: number | undefined; // in the active file; undefined: not a file the server checks

  setState(state: ServerState, reason = ""): void {
    this.state = state;
    this.reason = reason;
    if (state !== "running") {
      this.progress.clear();
    }
  }

  begin(token: string, value: Progress): void {
    this.progress.set(token, { ...value });
  }

  report(token: string, value: Progress): void {
    const current = this.progress.get(token);
    if (current !== undefined) {
      this.progress.set(token, { ...current, ...value });
    }
  }

  end(token: string): void {
    this.progress.delete(token);
  }

  setFindings(count: number | undefined): void {
    this.findings = count;
  }

  view(): StatusView {
    if (this.state === "starting") {
      return { text: "$(sync~spin) MetaCompress", tooltip: "MetaCompress: starting the language server", busy: true };
    }
    if (this.state === "failed") {
      const why = this.reason ? `: ${this.reason}` : "";
      return {
        text: "$(error) MetaCompress",
        tooltip: `MetaCompress: the language server is not running${why}. Click for its log.`,
        busy: false,
      };
    }
    if (this.state === "stopped") {
      return { text: "$(circle-slash) MetaCompress", tooltip: "MetaCompress: the language server is stopped", busy: false };
    }
    const running = [...this.progress.values()];
    if (running.length > 0) {
      const first = running[0];
      const what = [first.message, first.percentage !== undefined ? `${first.percentage}%` : undefined]
        .filter((part) => part !== undefined && part !== "")
        .join(", ");
      const more = running.length > 1 ? ` (+${running.length - 1} more)` : "";
      return {
        text: `$(sync~spin) MetaCompress${what ? ": " + what : ""}${more}`,
        tooltip: `MetaCompress: ${first.message ?? "checking"}${more}`,
        busy: true,
      };
    }
    if (this.findings === undefined) {
      return { text: "$(beaker) MetaCompress", tooltip: "MetaCompress: ready (checks C, Java and Python files)", busy: false };
    }
    if (this.findings === 0) {
      return {
        text: "$(check) MetaCompress",
        tooltip: "MetaCompress: the student agrees with its teacher on every function of this file",
        busy: false,
      };
    }
    const noun = this.findings === 1 ? "function departs" : "functions depart";
    return {
      text: `$(warning) MetaCompress: ${this.findings}`,
      tooltip: `MetaCompress: ${this.findings} ${noun} from the teacher in this file (see Problems)`,
      busy: false,
    };
  }
}
