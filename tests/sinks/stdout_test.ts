// stdoutAuditSink: the shared stdio suite on stdout (in child processes), and
// what can be checked in this process.

import { test } from "node:test";
import assert from "node:assert/strict";
import { fstatSync } from "node:fs";
import { stdoutAuditSink } from "../../mod.ts";
import { stdioSuite } from "./_stdio_suite.ts";

stdioSuite("stdout");

test("stdoutAuditSink().close() leaves file descriptor 1 open", async () => {
  const sink = stdoutAuditSink();
  await sink.close();
  assert.equal(sink.stats().queued, 0);
  // fstat throws EBADF on a closed descriptor.
  assert.equal(typeof fstatSync(1).mode, "number");
});
