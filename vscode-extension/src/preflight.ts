// Before the server starts: which Python the user configured (wherever they set it), and whether it has the
// server's packages. A Python without them would start, crash at its first import and be restarted in a loop
// by the language client; this says once, clearly, what is missing and how to fix it. Pure, so it is tested
// without VS Code (the spawn itself is in extension.ts).

/** The modules `python -m metacompress_server` needs; looked up with importlib (nothing is imported, so it is fast). */
export const SERVER_MODULES: readonly string[] = ["lsprotocol", "pygls", "metacompress_server", "metacompress_core", "torch", "transformers"];

/** Arguments for `python <args>`: prints the missing modules, space-separated, and exits 3 when any is. */
export function probeArgs(): string[] {
  const names = SERVER_MODULES.map((m) => `'${m}'`).join(", ");
  return [
    "-c",
    `import importlib.util as u, sys; m = [n for n in (${names}) if u.find_spec(n) is None]; print(" ".join(m)); sys.exit(3 if m else 0)`,
  ];
}

/** What to tell the user when the probe failed; undefined when the interpreter has everything. */
export function probeFailure(
  python: string,
  result: { code: number | null; stdout: string; stderr: string; error?: string },
): string | undefined {
  if (result.error !== undefined) {
    return `cannot run ${python} (${result.error}): set metacompress.pythonPath to a Python 3.11+ interpreter`;
  }
  if (result.code === 0) {
    return undefined;
  }
  const install = `${python} -m pip install "metacompress[server,models]"`;
  if (result.code === 3 && result.stdout.trim() !== "") {
    const missing = result.stdout.trim().split(/\s+/).join(", ");
    return (
      `${python} lacks the language server's packages (missing: ${missing}). ` +
      `Install them with: ${install}; or set metacompress.pythonPath to a Python that has them.`
    );
  }
  const detail = (result.stderr.trim().split(/\r?\n/).pop() ?? "").slice(0, 300);
  return `${python} cannot run the language server (exit ${result.code}${detail ? `: ${detail}` : ""}): ${install}`;
}

/** The values of one setting at each level, as `WorkspaceConfiguration.inspect` gives them. */
export interface Inspected<T> {
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
  globalRemoteValue?: T;
  globalLocalValue?: T;
}

/**
 * The configured Python: the most specific non-empty value, whichever level (User, Remote, Workspace, Folder)
 * it was set at. `get()` alone drops a machine-scoped User value in remote windows (code-server is one).
 */
export function configuredPython(got: string | undefined, inspected: Inspected<string> | undefined): string | undefined {
  const candidates = [
    inspected?.workspaceFolderValue,
    inspected?.workspaceValue,
    got,
    inspected?.globalRemoteValue,
    inspected?.globalLocalValue,
    inspected?.globalValue,
  ];
  return candidates.find((value) => typeof value === "string" && value.trim() !== "")?.trim();
}
