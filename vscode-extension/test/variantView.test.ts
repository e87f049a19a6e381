import assert from "node:assert/strict";
import { test } from "node:test";

import {
  VariantPayload,
  diagnosticData,
  diffTitle,
  isVariantPayload,
  pickDiagnostic,
  showVariantArguments,
  variantPaths,
} from "../src/variantView";

function diag(line: number, source = "metacompress", unitId = `u${line}`) {
  return {
    source,
    range: { start: { line }, end: { line } },
    data: { unitId, qualname: `f${line}`, recipe: [["for-to-while", 7]], transforms: ["for-to-while"] },
  };
}

test("the diagnostic on the cursor's line, else the nearest above, else the first; others' are ignored", () => {
  const all = [diag(3), diag(10), diag(20), diag(5, "clangd")];
  assert.equal(pickDiagnostic(all, 10)?.range.start.line, 10);
  assert.equal(pickDiagnostic(all, 15)?.range.start.line, 10);
  assert.equal(pickDiagnostic(all, 0)?.range.start.line, 3);
  assert.equal(pickDiagnostic(all, 5)?.range.start.line, 3, "clangd's diagnostic on line 5 is not ours");
  assert.equal(pickDiagnostic([diag(5, "clangd")], 5), undefined);
  assert.equal(pickDiagnostic([], 0), undefined);
});

test("diagnostic data: the server's fields, or nothing when they are missing", () => {
  assert.deepEqual(diagnosticData(diag(3)), {
    unitId: "u3",
    qualname: "f3",
    recipe: [["for-to-while", 7]],
    transforms: ["for-to-while"],
    relations: undefined,
  });
  assert.equal(diagnosticData({ source: "metacompress", range: diag(1).range, data: { recipe: [] } }), undefined);
  assert.equal(diagnosticData({ source: "metacompress", range: diag(1).range }), undefined);
});

test("show-variant asks the server not to present the result itself", () => {
  assert.deepEqual(showVariantArguments("file:///a.c", { unitId: "u", recipe: [["for-to-while", 7]] }), [
    "file:///a.c",
    "u",
    [["for-to-while", 7]],
    { present: false },
  ]);
});

const payload: VariantPayload = {
  unitId: "a.c::sum#1",
  qualname: "Outer.sum<T>",
  language: "java",
  transforms: ["for-to-while", "rename-variable"],
  description: "for -> while at line 3",
  original: "int sum() {}",
  variant: "int sum() { }",
  diff: "",
  message: "student: vulnerable 0.97",
};

test("the diff's documents keep the language's extension, distinct per request, with a readable title", () => {
  const first = variantPaths(payload, 1);
  assert.equal(first.original, "/1/Outer.sum_T_.original.java");
  assert.equal(first.variant, "/1/Outer.sum_T_.for-to-while_rename-variable.java");
  assert.notEqual(variantPaths(payload, 2).variant, first.variant);
  assert.ok(variantPaths({ ...payload, language: "c" }, 1).variant.endsWith(".c"));
  assert.ok(variantPaths({ ...payload, language: "python", transforms: [] }, 1).variant.endsWith(".original.py"));
  assert.equal(diffTitle(payload), "Outer.sum<T>: original ↔ for-to-while + rename-variable (MetaCompress)");
});

test("only a payload with both texts is shown", () => {
  assert.ok(isVariantPayload(payload));
  assert.ok(!isVariantPayload(null));
  assert.ok(!isVariantPayload("source text"));
  assert.ok(!isVariantPayload({ qualname: "f", original: "x" }));
});
