import assert from "node:assert/strict";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";

import { PythonExtensionApi, expandPath, pythonFromExtension, serverCommand } from "../src/interpreter";

test("the setting wins over the Python extension, which wins over python3", () => {
  assert.deepEqual(
    serverCommand({ configured: "/venv/bin/python", fromPythonExtension: "/other/python", serverArgs: ["--log-level", "DEBUG"] }),
    { command: "/venv/bin/python", args: ["-m", "metacompress_server", "--log-level", "DEBUG"], source: "setting" },
  );
  assert.deepEqual(serverCommand({ configured: "  ", fromPythonExtension: "/other/python" }), {
    command: "/other/python",
    args: ["-m", "metacompress_server"],
    source: "python-extension",
  });
  assert.deepEqual(serverCommand({ platform: "linux" }), { command: "python3", args: ["-m", "metacompress_server"], source: "default" });
  assert.equal(serverCommand({ platform: "win32" }).command, "python");
});

test("configured paths expand ~, ${userHome} and ${workspaceFolder}", () => {
  assert.equal(expandPath("~/venv/bin/python", undefined, "/home/u"), path.join("/home/u", "venv/bin/python"));
  assert.equal(expandPath("${workspaceFolder}/.venv/bin/python", "/ws"), "/ws/.venv/bin/python");
  assert.equal(expandPath("${userHome}/py", undefined, "/home/u"), "/home/u/py");
  assert.equal(expandPath("${workspaceFolder}/py", undefined), "${workspaceFolder}/py", "no folder: left as is");
  assert.equal(
    serverCommand({ configured: "${workspaceFolder}/.venv/bin/python", workspaceFolder: "/ws" }).command,
    "/ws/.venv/bin/python",
  );
  assert.equal(expandPath("~", undefined), os.homedir());
});

test("the Python extension's active environment: resolved executable, else its path, else nothing", async () => {
  const resolving: PythonExtensionApi = {
    environments: {
      getActiveEnvironmentPath: () => ({ id: "conda-env", path: "/envs/conda-env" }),
      resolveEnvironment: async () => ({ executable: { uri: { fsPath: "/envs/conda-env/bin/python" } } }),
    },
  };
  assert.equal(await pythonFromExtension(resolving), "/envs/conda-env/bin/python");

  const unresolved: PythonExtensionApi = {
    environments: {
      getActiveEnvironmentPath: () => ({ id: "venv", path: "/ws/.venv/bin/python" }),
      resolveEnvironment: async () => undefined,
    },
  };
  assert.equal(await pythonFromExtension(unresolved), "/ws/.venv/bin/python");

  const noResolver: PythonExtensionApi = { environments: { getActiveEnvironmentPath: () => ({ path: "/usr/bin/python3" }) } };
  assert.equal(await pythonFromExtension(noResolver), "/usr/bin/python3");
});

test("an old, absent or failing Python extension API gives no interpreter instead of an error", async () => {
  assert.equal(await pythonFromExtension(undefined), undefined);
  assert.equal(await pythonFromExtension({}), undefined, "an API without `environments` (old versions)");
  assert.equal(await pythonFromExtension({ environments: { getActiveEnvironmentPath: () => undefined } }), undefined);
  const throwing: PythonExtensionApi = {
    environments: {
      getActiveEnvironmentPath: () => {
        throw new Error("not ready");
      },
    },
  };
  assert.equal(await pythonFromExtension(throwing), undefined);
  const rejecting: PythonExtensionApi = {
    environments: {
      getActiveEnvironmentPath: () => ({ path: "/p" }),
      resolveEnvironment: () => Promise.reject(new Error("boom")),
    },
  };
  assert.equal(await pythonFromExtension(rejecting), undefined);
});
