import assert from "node:assert/strict";
import { test } from "node:test";

import { Debounced, focusParams } from "../src/focus";

test("focus params carry the cursor line and the visible line ranges", () => {
  const params = focusParams("file:///a.c", 41, [
    { start: { line: 30 }, end: { line: 70 } },
    { start: { line: 90 }, end: { line: 95 } },
  ]);
  assert.deepEqual(params, { uri: "file:///a.c", line: 41, visible: [[30, 70], [90, 95]] });
});

test("a burst of cursor moves sends only the last position", async () => {
  const sent: number[] = [];
  const debounced = new Debounced<number>((line) => sent.push(line), 20);
  for (const line of [1, 2, 3, 4]) {
    debounced.push(line);
  }
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(sent, [4]);
  debounced.push(9);
  debounced.dispose();
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.deepEqual(sent, [4]);
});
