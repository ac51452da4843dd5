// Shared by the file sink's tests: events written in batches, a flush after
// each, so that each batch is one write to the file (and one checkpoint).

import {
  type CallEvent,
  type FileAuditSink,
  fileAuditSink,
  type FileAuditSinkOptions,
} from "../../mod.ts";

/** Writes `batches` through one sink, a flush after each; returns it open. */
export async function writeBatches(
  path: string,
  batches: CallEvent[][],
  options: FileAuditSinkOptions,
): Promise<FileAuditSink> {
  const sink = await fileAuditSink(path, options);
  for (const batch of batches) {
    for (const event of batch) sink.onCall(event);
    await sink.flush();
  }
  return sink;
}
