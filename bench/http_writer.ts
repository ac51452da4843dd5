// One writer of the HTTP sinks' benchmarks, in this process, sending to the
// receiver at URL (bench/receiver.ts). Prints one JSON line.
//
//   <runtime> bench/http_writer.ts otlp|otel|http URL EVENTS [CAPACITY]
//   <runtime> bench/http_writer.ts hot URL
//
// - otlp: otlpAuditSink, producing with `await sink.send(event)` (no loss);
// - otel: OpenTelemetry JS's own pipeline (LoggerProvider,
//   BatchLogRecordProcessor with its default batch size and delay, and a
//   queue that holds every event so that none is dropped, OTLPLogExporter
//   over HTTP/JSON), `logger.emit()` of each event, then forceFlush();
// - http: httpAuditSink with send(), CAPACITY events of queue (for the slow
//   link).
// The clock runs from the first event to the moment everything is
// acknowledged (close() or forceFlush() resolved; the receiver's count is
// checked by the caller).
// - hot: the caller's path, mitata: otlpAuditSink's onCall against the
//   pipeline's logger.emit, each with a queue that never fills.

import process from "node:process";
import { bench, do_not_optimize, run } from "mitata";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchLogRecordProcessor,
  LoggerProvider,
} from "@opentelemetry/sdk-logs";
import {
  type CallEvent,
  httpAuditSink,
  otlpAuditSink,
  serializeCallEvent,
} from "../mod.ts";
import { BENCH_EVENTS } from "./_events.ts";
import { runtimeInfo } from "./_runtime_info.ts";

const [writer, url, count = "200000", capacity = "1024"] = process.argv.slice(
  2,
);

/** What an OpenTelemetry user would emit for the event. */
function otelRecord(event: CallEvent) {
  const failed = event.outcome.kind !== "success";
  return {
    severityNumber: failed ? SeverityNumber.ERROR : SeverityNumber.INFO,
    severityText: failed ? "ERROR" : "INFO",
    eventName: "calltrail.tool_call",
    body: serializeCallEvent(event),
    attributes: {
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": event.tool_id,
      "gen_ai.tool.call.id": event.call_id,
      ...(failed ? { "error.type": event.outcome.kind } : {}),
      "calltrail.caller_id": event.caller_id ?? "",
      "calltrail.granted_capabilities": event.granted_capabilities,
      "calltrail.duration_ms": event.duration_ms,
      "calltrail.tier": event.tier,
    },
  };
}
const OTEL_RECORDS = BENCH_EVENTS.map(otelRecord);

function otelPipeline(maxQueueSize: number) {
  const processor = new BatchLogRecordProcessor({
    exporter: new OTLPLogExporter({ url }),
    maxQueueSize,
  });
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ "service.name": "calltrail-bench" }),
    processors: [processor],
  });
  return { provider, logger: provider.getLogger("@calltrail/audit", "0.1.0") };
}

async function endToEnd(): Promise<void> {
  const n = Number(count);
  const started = performance.now();
  let drops = 0;
  if (writer === "otel") {
    const { provider, logger } = otelPipeline(n);
    for (let i = 0; i < n; i++) logger.emit(OTEL_RECORDS[i & 1023]);
    await provider.forceFlush();
    await provider.shutdown();
  } else {
    const make = writer === "http" ? httpAuditSink : otlpAuditSink;
    const sink = make(url, { capacity: Number(capacity) });
    for (let i = 0; i < n; i++) await sink.send(BENCH_EVENTS[i & 1023]);
    await sink.close();
    drops = sink.drops() + sink.stats().failed;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({
    writer,
    ...runtimeInfo(),
    events: n,
    seconds,
    eventsPerSecond: n / seconds,
    drops,
  }));
}

async function hotPath(): Promise<void> {
  const ROOMY = 1 << 20;
  let sink = otlpAuditSink(url, { capacity: ROOMY });
  let otel = otelPipeline(ROOMY);
  let sinkCalls = 0;
  let otelCalls = 0;
  bench("otlpAuditSink onCall(event)", function* () {
    let i = 0;
    yield () => {
      if (++sinkCalls === 50_000) {
        sinkCalls = 0;
        void sink.close();
        sink = otlpAuditSink(url, { capacity: ROOMY });
      }
      sink.onCall(BENCH_EVENTS[i++ & 1023]);
    };
  });
  bench("OpenTelemetry logger.emit(record)", function* () {
    let i = 0;
    yield () => {
      if (++otelCalls === 50_000) {
        otelCalls = 0;
        void otel.provider.shutdown();
        otel = otelPipeline(ROOMY);
      }
      do_not_optimize(otel.logger.emit(OTEL_RECORDS[i++ & 1023]));
    };
  });
  const { benchmarks } = await run({ format: "quiet", throw: true });
  const avg = (name: string) =>
    benchmarks.flatMap((trial) => trial.runs).find((r) => r.name === name)
      ?.stats?.avg ?? NaN;
  await sink.close();
  await otel.provider.shutdown();
  console.log(JSON.stringify({
    writer: "hot",
    ...runtimeInfo(),
    onCallNs: avg("otlpAuditSink onCall(event)"),
    emitNs: avg("OpenTelemetry logger.emit(record)"),
  }));
}

if (writer === "hot") await hotPath();
else if (["otlp", "otel", "http"].includes(writer)) await endToEnd();
else {
  console.error(`usage: bench/http_writer.ts otlp|otel|http|hot URL [EVENTS]`);
  process.exit(2);
}
