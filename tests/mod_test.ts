import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as calltrail from "../mod.ts";

test("mod.ts exports every name of the contract", () => {
  assert.equal(calltrail.SCHEMA_VERSION, 3);
  assert.equal(calltrail.DEFAULT_AUDIT_QUEUE_CAPACITY, 1024);
  for (
    const name of [
      "nowRfc3339",
      "createCallEvent",
      "startCall",
      "serializeCallEvent",
      "parseCallEvent",
      "readCallEvents",
      "JsonLinesAuditSink",
      "MemoryAuditSink",
      "fileAuditSink",
      "stdoutAuditSink",
      "stderrAuditSink",
      "consoleAuditSink",
      "fanoutAuditSink",
    ] as const
  ) {
    assert.equal(typeof calltrail[name], "function", name);
  }
  assert.equal(typeof calltrail.CallEventSchema.safeParse, "function");
});

test("library modules import no node: builtin and no runtime global at load", () => {
  const root = new URL("../", import.meta.url);
  const files = [
    ...readdirSync(root).filter((f) => f.endsWith(".ts")),
    ...readdirSync(new URL("sinks/", root)).map((f) => `sinks/${f}`),
  ];
  assert.ok(files.includes("mod.ts") && files.includes("sinks/file.ts"));
  for (const file of files) {
    const source = readFileSync(new URL(file, root), "utf8");
    assert.doesNotMatch(source, /^import[^;]*from\s+"node:/m, file);
    assert.doesNotMatch(
      source,
      /^(?:const|let|var)\s[^=]*=\s*(?:Deno|Bun|process)\b/m,
      file,
    );
  }
});
