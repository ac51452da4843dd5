// One writer of the HTTP sinks' benchmarks, in this process, sending to the
// receiver at URL (bench/receiver.ts). Prints one JSON line.
//
//   <runtime> bench/http_writer.ts otlp|otel|http URL EVENTS [CAPACITY [REQUESTS]]
//   <runtime> bench/http_writer.ts hot URL [EVENTS]
//
// - otlp: otlpAuditSink, producing with `await sink.send(event)` (no loss);
// - otel: OpenTelemetry JS's own pipeline (LoggerProvider,
//   BatchLogRecordProcessor with its default batch size and delay, and a
//   queue that holds every event so that none is dropped, OTLPLogExporter
//   over HTTP/JSON), `logger.emit()` of each event, then forceFlush();
// - http: httpAuditSink with send(), CAPACITY events of queue and REQUESTS
//   (maxConcurrentRequests) at once, for the slow link; CAPACITY and
//   REQUESTS apply to otlp too (defaults 1024 and 1).
// The clock runs from the first event to the moment everything is
// acknowledged (close() or forceFlush() resolved; the receiver's count is
// checked by the caller).
// - hot: the caller's path: otlpAuditSink's onCall against the pipeline's
//   logger.emit, in timed samples of 2,048 calls, each pipeline sending
//   what a sample queued between samples, untimed (EVENTS > 20,000: 200
//   samples, else 30).

import process from "node:process";
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
import { median } from "./_median.ts";

const [
  writer,
  url,
  count = "200000",
  capacity = "1024",
  requests = "1",
] = process.argv.slice(2);

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
    const sink = make(url, {
      capacity: Number(capacity),
      maxConcurrentRequests: Number(requests),
    });
    for (let i = 0; i < n; i++) await sink.send(BENCH_EVENTS[i & 1023]);
    await sink.close();
    drops = sink.drops() + sink.stats().failed;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({
    writer,
    ...runtimeInfo(),
    events: n,
    capacity: Number(capacity),
    requests: Number(requests),
    seconds,
    eventsPerSecond: n / seconds,
    drops,
  }));
}

async function hotPath(): Promise<void> {
  // Samples of K calls each, timed alone; between samples, untimed, each
  // pipeline sends what the sample queued (flush() / forceFlush()), so that
  // neither queue ever fills and the work each defers off the caller's path
  // is not charged to it. K is above the OpenTelemetry processor's batch of
  // 512, so that whatever its emit() does when a batch fills is counted.
  const K = 2048;
  const SAMPLES = Number(count) > 20_000 ? 200 : 30;
  const sink = otlpAuditSink(url, { capacity: 4 * K });
  const otel = otelPipeline(4 * K);
  const ns: Record<"sink" | "otel", number[]> = { sink: [], otel: [] };
  let i = 0;
  for (let sample = 0; sample < SAMPLES; sample++) {
    for (
      const which of sample % 2 === 0
        ? ["sink", "otel"] as const
        : ["otel", "sink"] as const
    ) {
      const started = performance.now();
      if (which === "sink") {
        for (let k = 0; k < K; k++) sink.onCall(BENCH_EVENTS[i++ & 1023]);
      } else {
        for (let k = 0; k < K; k++) otel.logger.emit(OTEL_RECORDS[i++ & 1023]);
      }
      const elapsed = performance.now() - started;
      if (which === "sink") await sink.flush();
      else await otel.provider.forceFlush();
      // The first samples warm up the code: left out.
      if (sample >= SAMPLES / 5) ns[which].push(elapsed * 1e6 / K);
    }
  }
  await sink.close();
  await otel.provider.shutdown();
  console.log(JSON.stringify({
    writer: "hot",
    ...runtimeInfo(),
    samples: ns.sink.length,
    callsPerSample: K,
    drops: sink.drops() + sink.stats().failed,
    onCallNs: median(ns.sink),
    emitNs: median(ns.otel),
  }));
}

if (writer === "hot") await hotPath();
else if (["otlp", "otel", "http"].includes(writer)) await endToEnd();
else {
  console.error(`usage: bench/http_writer.ts otlp|otel|http|hot URL [EVENTS]`);
  process.exit(2);
}
