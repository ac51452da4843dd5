// A user's program, in plain JavaScript: tests/package/package_test.ts runs
// it on Node 22, Node 24, Bun and Deno in a project that installed the packed
// tarball. It audits two calls to the file named by its argument, closes the
// sink, reads the file back with parseCallEvent and prints what it saw.

import { fileAuditSink, parseCallEvent, startCall } from "@calltrail/audit";
import { readFile } from "node:fs/promises";
import process from "node:process";

const path = process.argv[2];
const sink = await fileAuditSink(path);
const outcomes = [
  { kind: "success" },
  { kind: "execution_failed", code: "TOOL_ERROR", retryable: false },
];
const ids = outcomes.map((outcome, i) => {
  const call = startCall({
    tool_id: `ref:package.tool_${i}`,
    caller_id: "package-test",
    tier: "warm",
  });
  sink.onCall(call.finish(outcome));
  return call.call_id;
});
await sink.close();

const text = await readFile(path, "utf8");
const events = text.split("\n").filter((line) => line !== "").map((line) =>
  parseCallEvent(line)
);
console.log(JSON.stringify({
  module: import.meta.resolve("@calltrail/audit"),
  ids,
  events,
  stats: sink.stats(),
}));
