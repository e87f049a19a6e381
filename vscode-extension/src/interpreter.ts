// Which Python runs the server: the `metacompress.pythonPath` setting, else the interpreter selected in the
// Python extension (when it is installed), else `python3`. Pure, so that it is tested without VS Code.

import * as os from "os";
import * as path from "path";

export type PythonSource = "setting" | "python-extension" | "default";

export interface ServerCommand {
  command: string;
  args: string[];
  source: PythonSource;
}

/** `python -m metacompress_server` is the same server as `metacompress serve`, and needs no console script on PATH. */
export const SERVER_MODULE_ARGS: readonly string[] = ["-m", "metacompress_server"];

export function defaultPython(platform: NodeJS.Platform = process.platform): string {
  return platform === "win32" ? "python" : "python3";
}

/** `~` and `${workspaceFolder}` / `${userHome}` in a configured path, as users write them in settings. */
export function expandPath(value: string, workspaceFolder: string | undefined, home: string = os.homedir()): string {
  let out = value.trim();
  if (out === "~" || out.startsWith("~/") || out.startsWith("~\\")) {
    out = path.join(home, out.slice(1));
  }
  out = out.replace(/\$\{userHome\}/g, home);
  if (workspaceFolder !== undefined) {
    out = out.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
  }
  return out;
}

export function serverCommand(options: {
  configured?: string;
  fromPythonExtension?: string;
  serverArgs?: readonly string[];
  workspaceFolder?: string;
  platform?: NodeJS.Platform;
}): ServerCommand {
  const extra = [...(options.serverArgs ?? [])];
  const configured = options.configured?.trim();
  if (configured) {
    return {
      command: expandPath(configured, options.workspaceFolder),
      args: [...SERVER_MODULE_ARGS, ...extra],
      source: "setting",
    };
  }
  if (options.fromPythonExtension) {
    return { command: options.fromPythonExtension, args: [...SERVER_MODULE_ARGS, ...extra], source: "python-extension" };
  }
  return { command: defaultPython(options.platform), args: [...SERVER_MODULE_ARGS, ...extra], source: "default" };
}

/** The parts of the Python extension's API (ms-python.python exports) used here; all may be missing. */
export interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath?: (resource?: unknown) => { id?: string; path?: string } | undefined;
    resolveEnvironment?: (
      env: unknown,
    ) => Promise<{ executable?: { uri?: { fsPath?: string } } } | undefined> | undefined;
    onDidChangeActiveEnvironmentPath?: (listener: () => void) => { dispose(): unknown };
  };
}

/** The executable of the Python extension's active environment, or undefined when it cannot say. */
export async function pythonFromExtension(
  api: PythonExtensionApi | undefined,
  resource?: unknown,
): Promise<string | undefined> {
  const environments = api?.environments;
  if (!environments?.getActiveEnvironmentPath) {
    return undefined;
  }
  try {
    const active = environments.getActiveEnvironmentPath(resource);
    if (!active?.path) {
      return undefined;
    }
    // `path` is the interpreter for most environments, but a folder for some (conda without python): resolve.
    if (environments.resolveEnvironment) {
      const resolved = await environments.resolveEnvironment(active);
      const executable = resolved?.executable?.uri?.fsPath;
      if (executable) {
        return executable;
      }
    }
    return active.path;
  } catch {
    return undefined;
  }
}
