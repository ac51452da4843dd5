// stderrAuditSink: the shared stdio suite on stderr (in child processes), and
// what can be checked in this process.

import { test } from "node:test";
import assert from "node:assert/strict";
import { fstatSync } from "node:fs";
import { stderrAuditSink } from "../../mod.ts";
import { stdioSuite } from "./_stdio_suite.ts";

stdioSuite("stderr");

test("stderrAuditSink().close() leaves file descriptor 2 open", async () => {
  const sink = stderrAuditSink();
  await sink.close();
  assert.equal(sink.stats().queued, 0);
  // fstat throws EBADF on a closed descriptor.
  assert.equal(typeof fstatSync(2).mode, "number");
});
