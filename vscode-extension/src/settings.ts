// VS Code's `metacompress` configuration -> the section the server reads (server/config.py).
//
// VS Code answers workspace/configuration with every key, unset ones included (their default is null), but the
// server treats any engine key it receives as "the client configures the models" and then ignores the
// .metacompress.toml / pyproject.toml next to the file. So unset keys (null, empty strings, empty objects)
// are dropped, as are the keys only the extension uses.

/** Keys of the `metacompress` section that configure the extension itself, never sent to the server. */
export const CLIENT_ONLY_KEYS: ReadonlySet<string> = new Set(["pythonPath", "serverArgs", "workspaceCheck"]);

/** Changing one of these needs a new server process (the command line or initializationOptions change). */
export const RESTART_KEYS: readonly string[] = ["pythonPath", "serverArgs", "diagnostics"];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A copy without null/undefined values, empty strings and objects left empty by that; arrays are kept whole. */
export function withoutUnset(value: unknown): Json | undefined {
  if (value === null || value === undefined || value === "") {
    return undefined;
  }
  if (Array.isArray(value)) {
    return value as Json[];
  }
  if (isObject(value)) {
    const out: { [key: string]: Json } = {};
    for (const [key, item] of Object.entries(value)) {
      const kept = withoutUnset(item);
      if (kept !== undefined) {
        out[key] = kept;
      }
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (typeof value === "function") {
    return undefined; // WorkspaceConfiguration objects carry get/has/inspect/update
  }
  return value as Json;
}

/** The server's `metacompress` section from VS Code's: client-only keys and unset values removed. */
export function serverSettings(section: unknown): Record<string, Json> {
  if (!isObject(section)) {
    return {};
  }
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(section)) {
    if (CLIENT_ONLY_KEYS.has(key)) {
      continue;
    }
    const kept = withoutUnset(value);
    if (kept !== undefined) {
      out[key] = kept;
    }
  }
  return out;
}

/** initializationOptions: the same section, nested as the server accepts it (pull mode is read only here). */
export function initializationOptions(section: unknown): { metacompress: Record<string, Json> } {
  return { metacompress: serverSettings(section) };
}

/** Whether a configuration change under `metacompress` needs a restart, given `affects("metacompress.x")`. */
export function needsRestart(affects: (section: string) => boolean): boolean {
  return RESTART_KEYS.some((key) => affects(`metacompress.${key}`));
}
