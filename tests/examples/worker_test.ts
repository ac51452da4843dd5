// Runs examples/worker.ts as its comment says: bundled with esbuild, served
// by workerd with examples/worker.capnp (its socket moved to a free port with
// --socket-addr). Requests a success, a failure and an unknown tool, and
// reads the audit lines the worker printed on workerd's stdout.

import assert from "node:assert/strict";
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { type CallEvent, parseCallEvent } from "../../mod.ts";
import { tempDir } from "../_helpers.ts";
import { bundleWorker } from "../edge/_bundle.ts";
import { freePort, serveWorkerd, type Workerd } from "../edge/_workerd.ts";

const EXAMPLES = new URL("../../examples/", import.meta.url);
/** A limit on the test (bundling, starting workerd), never an assertion. */
const SLOW = { timeout: 120_000 };
/** How long to wait for a line after its response. */
const LINE_LIMIT_MS = 30_000;

/** The audit line of the call whose caller is `callerId`, once printed. */
async function auditLine(
  workerd: Workerd,
  callerId: string,
): Promise<CallEvent> {
  const deadline = Date.now() + LINE_LIMIT_MS;
  while (true) {
    const events = workerd.stdout().split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => parseCallEvent(line));
    const found = events.filter((event) => event.caller_id === callerId);
    if (found.length > 0) {
      assert.equal(found.length, 1, `one line for ${callerId}`);
      return found[0];
    }
    if (Date.now() > deadline) {
      assert.fail(
        `no audit line for ${callerId} within ${LINE_LIMIT_MS} ms; stdout:\n${workerd.stdout()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test(
  "examples/worker.ts on workerd audits a success, a failure and an unknown tool",
  SLOW,
  async () => {
    // Node 22 has no `await using`.
    const dir = await tempDir();
    try {
      const bundle = await bundleWorker(
        fileURLToPath(new URL("worker.ts", EXAMPLES)),
        join(dir.path, "worker.js"),
      );
      assert.deepEqual(bundle.nodeImports, [], "node: imports in the bundle");
      const config = join(dir.path, "worker.capnp");
      await copyFile(new URL("worker.capnp", EXAMPLES), config);
      const port = await freePort();
      const workerd = await serveWorkerd(config, port, {
        args: ["--socket-addr", `http=127.0.0.1:${port}`],
        // The worker has no /ready route: its 404 (no such tool) says it is up.
        isReady: (status) => status === 404,
      });
      try {
        const get = (path: string, callerId: string) =>
          fetch(`${workerd.url}${path}`, {
            headers: { "x-caller-id": callerId },
          });

        const ok = await get("/divide?a=1&b=4", "example-success");
        assert.equal(ok.status, 200);
        assert.deepEqual(await ok.json(), { quotient: 0.25 });
        const failed = await get("/divide?a=1&b=0", "example-failure");
        assert.equal(failed.status, 500);
        assert.match((await failed.json()).error, /division by zero/);
        const missing = await get("/format_disk", "example-missing");
        assert.equal(missing.status, 404);
        await missing.body?.cancel();

        const success = await auditLine(workerd, "example-success");
        assert.equal(success.tool_id, "divide");
        assert.deepEqual(success.outcome, { kind: "success" });
        assert.equal(success.tier, "hot");
        const failure = await auditLine(workerd, "example-failure");
        assert.equal(failure.tool_id, "divide");
        assert.deepEqual(failure.outcome, {
          kind: "execution_failed",
          code: "TOOL_ERROR",
          retryable: false,
        });
        const unknown = await auditLine(workerd, "example-missing");
        assert.equal(unknown.tool_id, "format_disk");
        assert.deepEqual(unknown.outcome, { kind: "tool_not_found" });
        assert.notEqual(success.call_id, failure.call_id);
      } finally {
        await workerd.stop();
      }
      assert.doesNotMatch(
        workerd.stderr(),
        /uncaught|error: /i,
        "workerd's stderr",
      );
    } finally {
      await dir[Symbol.asyncDispose]();
    }
  },
);
