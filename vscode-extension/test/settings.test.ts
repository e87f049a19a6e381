import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";

import { initializationOptions, needsRestart, serverSettings, withoutUnset } from "../src/settings";

interface Contributed {
  default?: unknown;
}

/** The `metacompress` section as VS Code builds it from package.json: dotted keys nested, defaults filled in. */
function sectionFromManifest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"));
  const properties: Record<string, Contributed> = manifest.contributes.configuration.properties;
  const section: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(properties)) {
    const value = key in overrides ? overrides[key] : spec.default;
    const parts = key.split(".").slice(1); // drop "metacompress"
    let node = section;
    for (const part of parts.slice(0, -1)) {
      node = (node[part] ??= {}) as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
  }
  return section;
}

test("with nothing set, only the editor's own keys reach the server, so its settings file still applies", () => {
  const sent = serverSettings(sectionFromManifest());
  assert.deepEqual(Object.keys(sent).sort(), ["debounce", "diagnostics", "idle", "severity", "trigger"]);
  assert.equal(sent.trigger, "onType");
  assert.equal(sent.debounce, 0.5);
  assert.equal(sent.idle, 5);
  assert.deepEqual(sent.severity, {
    "prediction-agreement": "warning",
    "high-confidence-preservation": "warning",
    "distribution-similarity": "hint",
    "calibration-alignment": "hint",
    "teacher-invariance": "off",
    "student-invariance": "warning",
  });
});

test("set values arrive nested as the server reads them; client-only keys never do", () => {
  const sent = serverSettings(
    sectionFromManifest({
      "metacompress.pythonPath": "/venv/bin/python",
      "metacompress.serverArgs": ["--log-level", "DEBUG"],
      "metacompress.models.c.teacher": "models/t",
      "metacompress.models.c.student": "models/s",
      "metacompress.budget": 8,
      "metacompress.seed": 0,
      "metacompress.cache": false,
      "metacompress.transforms": ["for-to-while"],
      "metacompress.thresholds.jsEps": 0.1,
      "metacompress.cacheDir": "",
    }),
  );
  assert.deepEqual(sent.models, { c: { teacher: "models/t", student: "models/s" } });
  assert.equal(sent.budget, 8);
  assert.equal(sent.seed, 0, "zero is a value, not unset");
  assert.equal(sent.cache, false, "false is a value, not unset");
  assert.deepEqual(sent.transforms, ["for-to-while"]);
  assert.deepEqual(sent.thresholds, { jsEps: 0.1 });
  assert.ok(!("cacheDir" in sent), "an empty string is unset");
  for (const key of ["pythonPath", "serverArgs", "workspaceCheck"]) {
    assert.ok(!(key in sent), `${key} is the extension's own`);
  }
});

test("every contributed setting is either the extension's own or a key the server knows", () => {
  // server/config.py _SERVER_KEYS and metacompress_core/config.py _TOP_KEYS (camelCase is accepted there).
  const serverKeys = new Set(["trigger", "debounce", "idle", "severity", "diagnostics"]);
  const engineKeys = new Set([
    "budget", "maxBudget", "strategy", "compositions", "maxSteps", "seed", "transforms", "partners", "failOn", "device", "threads",
    "batchSize", "half", "backend", "cache", "cacheDir", "thresholds", "models",
  ]);
  const section = sectionFromManifest();
  for (const key of Object.keys(section)) {
    assert.ok(
      serverKeys.has(key) || engineKeys.has(key) || ["pythonPath", "serverArgs", "workspaceCheck"].includes(key),
      `unknown setting metacompress.${key}`,
    );
  }
  assert.deepEqual(Object.keys(section.thresholds as object).sort(), ["calibrationDelta", "confidenceTau", "jsEps"]);
  assert.deepEqual(Object.keys(section.models as object).sort(), ["c", "java", "python"]);
});

test("withoutUnset drops nulls and the objects they empty, keeps arrays and falsy values", () => {
  assert.equal(withoutUnset(null), undefined);
  assert.equal(withoutUnset({ a: { b: null }, c: "" }), undefined);
  assert.deepEqual(withoutUnset({ a: { b: null, c: 0 }, d: [null, 1], e: false }), {
    a: { c: 0 },
    d: [null, 1],
    e: false,
  });
  assert.deepEqual(withoutUnset({ get: () => 1, budget: 3 }), { budget: 3 });
});

test("initializationOptions nest the section under metacompress (server/config.py accepts both)", () => {
  assert.deepEqual(initializationOptions({ budget: 4, pythonPath: "x", diagnostics: "pull" }), {
    metacompress: { budget: 4, diagnostics: "pull" },
  });
  assert.deepEqual(initializationOptions(undefined), { metacompress: {} });
});

test("a new interpreter, new arguments or another diagnostics mode restart the server; the rest does not", () => {
  const changed = (keys: string[]) => (section: string) => keys.includes(section);
  assert.ok(needsRestart(changed(["metacompress", "metacompress.pythonPath"])));
  assert.ok(needsRestart(changed(["metacompress", "metacompress.diagnostics"])));
  assert.ok(needsRestart(changed(["metacompress", "metacompress.serverArgs"])));
  assert.ok(!needsRestart(changed(["metacompress", "metacompress.budget"])));
  assert.ok(!needsRestart(changed(["metacompress", "metacompress.severity"])));
});
