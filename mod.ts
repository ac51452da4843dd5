/**
 * calltrail: one JSON line per tool call, written through a bounded queue
 * that never makes the caller wait or throw.
 *
 * A tool host (an MCP server, an agent's tool dispatcher, an edge function)
 * starts a recorder when a call starts, finishes it when the call ends, and
 * hands the event to a sink. The sink serializes the event at once, queues
 * the line and writes lines in batches. When the queue is full, the event is
 * dropped and counted (or handed to a fallback sink); `send()` waits instead.
 * Lines are compatible with atd-runtime's audit log (schema versions 1 to 3).
 *
 * @example Audit calls to a file
 * ```ts
 * import { fileAuditSink, parseCallEvent, startCall } from "@calltrail/audit";
 * import assert from "node:assert/strict";
 *
 * import { mkdtemp, readFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 *
 * const path = `${await mkdtemp(`${tmpdir()}/calltrail-`)}/audit.jsonl`;
 * const sink = await fileAuditSink(path);
 *
 * const call = startCall({
 *   tool_id: "ref:fs.read",
 *   caller_id: "agent-7",
 *   granted_capabilities: ["fs.read"],
 *   tier: "warm",
 * });
 * // ... run the tool ...
 * sink.onCall(call.finish({ kind: "success" }));
 *
 * await sink.close();
 * const [line] = (await readFile(path, "utf8")).split("\n");
 * assert(parseCallEvent(line).call_id === call.call_id);
 * ```
 *
 * @module
 */
export { DEFAULT_AUDIT_QUEUE_CAPACITY, SCHEMA_VERSION } from "./constants.ts";
export { nowRfc3339 } from "./now_rfc3339.ts";
export type {
  CallEvent,
  CapProvenance,
  Outcome,
  ProvSource,
  Tier,
} from "./types.ts";
export { type CallEventInit, createCallEvent } from "./create_call_event.ts";
export {
  type CallRecorder,
  type FinishExtra,
  startCall,
  type StartCallInit,
} from "./start_call.ts";
export { serializeCallEvent } from "./serialize_call_event.ts";
export {
  type CallEventIssue,
  type CallEventParseResult,
  CallEventSchema,
  type CallEventSchemaType,
  type StandardResult,
} from "./call_event_schema.ts";
export { parseCallEvent } from "./parse_call_event.ts";
export {
  type CallEventSource,
  readCallEvents,
  type ReadCallEventsOptions,
} from "./read_call_events.ts";
export type { AuditSink } from "./audit_sink.ts";
export type { AuditSinkStats } from "./audit_sink_stats.ts";
export { JsonLinesAuditSink } from "./json_lines_audit_sink.ts";
export type {
  AuditSinkOptions,
  JsonLinesAuditSinkOptions,
  SendOptions,
} from "./json_lines_audit_sink_options.ts";
export {
  type FileAuditSink,
  fileAuditSink,
  type FileAuditSinkOptions,
} from "./sinks/file.ts";
export type { RotateOptions } from "./sinks/_rotation.ts";
export type { ChainOptions, HmacKey } from "./sinks/chain_options.ts";
export type { ChainCheckpoint } from "./_checkpoint.ts";
export { stdoutAuditSink } from "./sinks/stdout.ts";
export { stderrAuditSink } from "./sinks/stderr.ts";
export { consoleAuditSink } from "./sinks/console.ts";
export {
  httpAuditSink,
  type HttpAuditSinkOptions,
  type RetryOptions,
} from "./sinks/http.ts";
export { otlpAuditSink, type OtlpAuditSinkOptions } from "./sinks/otlp.ts";
export {
  MemoryAuditSink,
  type MemoryAuditSinkOptions,
} from "./sinks/memory.ts";
export {
  type FanoutAuditSink,
  fanoutAuditSink,
  type FanoutAuditSinkOptions,
} from "./sinks/fanout.ts";
