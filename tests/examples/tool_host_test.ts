// Runs examples/tool_host.ts in a child process on the runtime running the
// tests, with a small workload, and checks its summary against its audit file.

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseCallEvent } from "../../mod.ts";
import { runChild, runtime, tempDir } from "../_helpers.ts";

const demo = fileURLToPath(
  new URL("../../examples/tool_host.ts", import.meta.url),
);

const OUTCOME_KINDS = [
  "success",
  "invalid_args",
  "execution_failed",
  "capability_denied",
  "rate_limited",
  "tool_not_found",
];

test("the tool host demo audits every call, one valid line each", async () => {
  const dir = await tempDir();
  try {
    const path = join(dir.path, "audit.jsonl");
    const calls = 2000;
    const child = await runChild(demo, [
      "--calls",
      String(calls),
      "--concurrency",
      "16",
      "--path",
      path,
    ]);
    const output = `stdout:\n${child.stdout}\nstderr:\n${child.stderr}`;
    assert.equal(child.code, 0, output);
    assert.match(child.stdout, new RegExp(`^runtime: ${runtime} \\d`), output);
    for (const kind of OUTCOME_KINDS) {
      assert.match(child.stdout, new RegExp(`^ +${kind} +\\d+$`, "m"), output);
    }

    const check = /^check: +(\d+) lines \+ (\d+) drops \+ (\d+) invalid /m
      .exec(child.stdout);
    assert.ok(check, `no check line in the summary\n${output}`);
    const drops = Number(check[2]);
    const invalid = Number(check[3]);

    const text = await readFile(path, "utf8");
    assert.ok(text.endsWith("\n"), "the file ends with a newline");
    const lines = text.slice(0, -1).split("\n");
    assert.equal(lines.length, calls - drops - invalid);
    const ids = new Set<string>();
    for (const line of lines) ids.add(parseCallEvent(line).call_id);
    assert.equal(ids.size, lines.length, "call_ids are unique");
  } finally {
    await dir[Symbol.asyncDispose]();
  }
});
