// A user's TypeScript file: tests/package/package_test.ts type-checks it with
// tsc --strict against the .d.ts files of the installed tarball, in a project
// without Deno's types (tsconfig.web.json: Web APIs only; tsconfig.node.json:
// @types/node only). The @ts-expect-error lines fail the check if the types
// are missing or `any`.

import {
  type AuditSink,
  type AuditSinkStats,
  type CallEvent,
  CallEventSchema,
  type CallEventSchemaType,
  consoleAuditSink,
  createCallEvent,
  DEFAULT_AUDIT_QUEUE_CAPACITY,
  fanoutAuditSink,
  fileAuditSink,
  httpAuditSink,
  JsonLinesAuditSink,
  MemoryAuditSink,
  nowRfc3339,
  otlpAuditSink,
  type Outcome,
  parseCallEvent,
  readCallEvents,
  SCHEMA_VERSION,
  serializeCallEvent,
  type StandardResult,
  startCall,
  stderrAuditSink,
} from "@calltrail/audit";
import { auditMcpServer } from "@calltrail/audit/mcp";

/** Audits one failed call to `path` and returns the sink's counters. */
export async function auditToFile(path: string): Promise<AuditSinkStats> {
  await using sink = await fileAuditSink(path, {
    capacity: DEFAULT_AUDIT_QUEUE_CAPACITY,
    fallback: stderrAuditSink(),
    onError: (error: unknown) => console.error(error),
  });
  const call = startCall({
    tool_id: "ref:fs.read",
    caller_id: "agent-7",
    granted_capabilities: ["fs.read"],
    tier: "warm",
  });
  const outcome: Outcome = {
    kind: "execution_failed",
    code: "FS_NOT_FOUND",
    retryable: false,
  };
  sink.onCall(call.finish(outcome));
  await sink.send(call.finish({ kind: "success" }), {
    signal: AbortSignal.timeout(1000),
  });
  return sink.stats();
}

/** A sink over any WritableStream, fanned out with a memory sink. */
export function streamSinks(
  destination: WritableStream<Uint8Array>,
): { sink: AuditSink; memory: MemoryAuditSink } {
  const memory = new MemoryAuditSink();
  const stream = new JsonLinesAuditSink(destination, { preventClose: true });
  return { sink: fanoutAuditSink(stream, memory, consoleAuditSink()), memory };
}

/** Writes an event as a line and reads it back. */
export async function roundTrip(): Promise<CallEvent> {
  const event: CallEvent = createCallEvent({
    call_id: "01J000000000000000000000TEST",
    tool_id: "ref:echo.say",
    duration_ms: 1,
    outcome: { kind: "rate_limited", retry_after_ms: null },
    tier: "hot",
  });
  const line: string = serializeCallEvent(event);
  const back: CallEvent = parseCallEvent(line);
  const schema: CallEventSchemaType = CallEventSchema;
  const result = schema.safeParse(back);
  if (!result.success) throw new Error(result.error.message);
  const standard: StandardResult = await schema["~standard"].validate(back);
  if (standard.issues !== undefined) throw new Error("invalid");
  const version: 3 | number = SCHEMA_VERSION;
  const ts: string = nowRfc3339();
  return { ...result.data, ts, schema_version: version };
}

// @ts-expect-error: a call needs its tier.
startCall({ tool_id: "ref:echo.say" });
// @ts-expect-error: "done" is no outcome.
startCall({ tool_id: "ref:echo.say", tier: "hot" }).finish({ kind: "done" });
// @ts-expect-error: parseCallEvent takes a line.
parseCallEvent({});

// The other entry points and sinks, with their types.

/** Ships to an HTTP receiver and reads a trail back. */
export async function shipAndRead(
  log: ReadableStream<Uint8Array>,
): Promise<number> {
  const http = httpAuditSink("http://127.0.0.1:8123/", { gzip: true });
  const otlp = otlpAuditSink("http://127.0.0.1:4318/v1/logs", {
    resource: { "service.name": "tool-host" },
  });
  await Promise.all([http.close(), otlp.close()]);
  let calls = 0;
  for await (const event of readCallEvents(log)) {
    const kind: Outcome["kind"] = event.outcome.kind;
    if (kind !== "tool_not_found") calls++;
  }
  return calls;
}

/** Audits an MCP server (any object of the SDK's shape). */
export function auditServer<S extends Parameters<typeof auditMcpServer>[0]>(
  server: S,
): S {
  return auditMcpServer(server, new MemoryAuditSink(), { tier: () => "warm" });
}

// @ts-expect-error: an HTTP sink needs its URL.
httpAuditSink();
// @ts-expect-error: the sink is an AuditSink.
auditMcpServer({} as never, "not a sink");
