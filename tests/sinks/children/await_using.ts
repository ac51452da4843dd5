// Imported (not spawned) by tests/sinks/file_test.ts: the `await using`
// syntax lives in its own module so that a runtime without it (Node 22) fails
// only this import, and the test that needs it skips.

import {
  type CallEvent,
  fileAuditSink,
  type JsonLinesAuditSink,
} from "../../../mod.ts";

/**
 * Opens a file sink with `await using`, hands it `events` and leaves the
 * block, which disposes of the sink.
 *
 * @returns The disposed sink.
 */
export async function writeInAwaitUsingBlock(
  path: string,
  events: readonly CallEvent[],
): Promise<JsonLinesAuditSink> {
  let kept: JsonLinesAuditSink;
  {
    await using sink = await fileAuditSink(path);
    kept = sink;
    for (const event of events) sink.onCall(event);
  }
  return kept;
}
