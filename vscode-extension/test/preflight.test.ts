import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";

import { configuredPython, probeArgs, probeFailure } from "../src/preflight";

test("pythonPath set in User settings is used even where get() drops it (remote windows, code-server)", () => {
  assert.equal(configuredPython(undefined, { globalValue: "/venv/bin/python" }), "/venv/bin/python");
  assert.equal(configuredPython("", { globalValue: " /venv/bin/python " }), "/venv/bin/python");
  assert.equal(configuredPython(undefined, { globalRemoteValue: "/remote/python" }), "/remote/python");
  assert.equal(
    configuredPython("/user/python", { globalValue: "/user/python", workspaceValue: "/ws/python" }),
    "/ws/python",
    "a workspace value overrides the User one",
  );
  assert.equal(configuredPython(undefined, {}), undefined);
  assert.equal(configuredPython("", undefined), undefined);
});

test("the pythonPath setting may be set in User settings of a remote window", () => {
  const manifest = JSON.parse(readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"));
  const spec = manifest.contributes.configuration.properties["metacompress.pythonPath"];
  // machine(-overridable) User values are ignored in remote windows; window scope is read from User settings
  // everywhere, and `restricted` keeps an untrusted workspace from choosing the executable.
  assert.equal(spec.scope, "window");
  assert.ok(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes("metacompress.pythonPath"));
});

test("a Python without the server's packages gets one clear message naming what is missing", () => {
  const missing = probeFailure("/usr/bin/python3", { code: 3, stdout: "lsprotocol pygls\n", stderr: "" });
  assert.ok(missing?.includes("missing: lsprotocol, pygls"), missing);
  assert.ok(missing?.includes('/usr/bin/python3 -m pip install "metacompress[server,models]"'), missing);
  assert.ok(missing?.includes("metacompress.pythonPath"), missing);
  assert.equal(probeFailure("python3", { code: 0, stdout: "\n", stderr: "" }), undefined);
  const absent = probeFailure("/no/python", { code: null, stdout: "", stderr: "", error: "spawn /no/python ENOENT" });
  assert.ok(absent?.startsWith("cannot run /no/python") && absent.includes("metacompress.pythonPath"), absent);
  const crashed = probeFailure("python3", { code: 1, stdout: "", stderr: "Traceback\nSyntaxError: bad\n" });
  assert.ok(crashed?.includes("SyntaxError: bad"), crashed);
});

test("the probe names exactly the modules an interpreter lacks", () => {
  const python = process.env.PYTHON ?? "python3";
  // -S: no site-packages at all, so every third-party module is missing (the stdlib is not probed).
  const [flag, code] = probeArgs();
  const probe = spawnSync(python, ["-S", flag, code], { encoding: "utf8", cwd: "/" });
  if (probe.error !== undefined) {
    return;
  }
  assert.equal(probe.status, 3, probe.stderr);
  const message = probeFailure(python, { code: probe.status, stdout: probe.stdout, stderr: probe.stderr });
  assert.ok(message?.includes("lsprotocol") && message.includes("pygls") && message.includes("torch"), message);
});
