import assert from "node:assert/strict";
import { test } from "node:test";

import { StatusModel } from "../src/status";

test("starting, failed and stopped servers say so", () => {
  const model = new StatusModel();
  assert.match(model.view().text, /circle-slash/);
  model.setState("starting");
  assert.ok(model.view().busy);
  model.setState("failed", "spawn python3 ENOENT");
  assert.match(model.view().text, /\$\(error\)/);
  assert.match(model.view().tooltip, /spawn python3 ENOENT/);
});

test("progress shows while a check runs and goes away when it ends", () => {
  const model = new StatusModel();
  model.setState("running");
  model.setFindings(0);
  model.begin("t1", { title: "MetaCompress", message: "checking a.c", percentage: 0 });
  assert.equal(model.view().text, "$(sync~spin) MetaCompress: checking a.c, 0%");
  model.report("t1", { message: "2/4 functions", percentage: 50 });
  assert.equal(model.view().text, "$(sync~spin) MetaCompress: 2/4 functions, 50%");
  model.begin("t2", { message: "checking b.java" });
  assert.match(model.view().text, /\(\+1 more\)$/);
  model.end("t1");
  model.end("t2");
  assert.equal(model.view().text, "$(check) MetaCompress");
  model.report("gone", { message: "late" });
  assert.ok(!model.view().busy, "a report for an ended token is ignored");
});

test("the active file's findings are counted; files the server does not check show none", () => {
  const model = new StatusModel();
  model.setState("running");
  model.setFindings(2);
  assert.equal(model.view().text, "$(warning) MetaCompress: 2");
  assert.match(model.view().tooltip, /2 functions depart/);
  model.setFindings(1);
  assert.match(model.view().tooltip, /1 function departs/);
  model.setFindings(undefined);
  assert.equal(model.view().text, "$(beaker) MetaCompress");
});

test("a stopped server drops the progress of its checks", () => {
  const model = new StatusModel();
  model.setState("running");
  model.begin("t", { message: "checking" });
  model.setState("stopped");
  model.setState("running");
  assert.ok(!model.view().busy);
});
