// Child of tests/sinks/stdout_test.ts and stderr_test.ts: writes events
// 0 to N-1 through stdoutAuditSink or stderrAuditSink (argv[0]: "stdout" or
// "stderr"; argv[1]: N), as told by argv[2]:
// - "close": also two invalid events (not written), then `await close()`,
//   then a marker line on the same stream, through console.log or
//   console.error, with the stats and the number of onError calls;
// - "exit": onCall N events, then Deno.exit(0) (Deno) or process.exit(0), in
//   the same synchronous turn, without close().
// - "exit-in-flight": the same, but after half the events a turn of the event
//   loop passes, so that a batch is on its way to the stream at exit.
// - "broken-pipe": the parent has closed its end of the stream; N events,
//   flush(), N more, `await close()`, and the report (stats and onError's
//   messages) goes to the other stream.
// In both exit modes a stderr child first prints a start line on stdout, to
// tell the parent that it runs (a stdout child's first event line does).

import { stderrAuditSink, stdoutAuditSink } from "../../../mod.ts";
import { childArgs, exitNow, makeEvent, MARKER } from "./events.ts";

const [stream, count, mode] = childArgs();
const n = Number(count);
const errors: string[] = [];
const make = stream === "stderr" ? stderrAuditSink : stdoutAuditSink;
const sink = make({
  capacity: n,
  onError: (error) => void errors.push(error.message),
});

if (mode === "close") {
  for (let i = 0; i < n; i++) {
    if (i === 0) sink.onCall(null as never);
    if (i === Math.floor(n / 2)) sink.onCall({} as never);
    sink.onCall(makeEvent(i));
  }
  await sink.close();
  const report = `${MARKER} ${
    JSON.stringify({ stats: sink.stats(), errors: errors.length })
  }`;
  if (stream === "stderr") console.error(report);
  else console.log(report);
} else if (mode === "exit") {
  if (stream === "stderr") console.log(`${MARKER} start`);
  for (let i = 0; i < n; i++) sink.onCall(makeEvent(i));
  exitNow(0, "native");
} else if (mode === "exit-in-flight") {
  // Half the events, then a turn of the event loop: their batch is handed to
  // the stream (and, while the parent does not read, still in flight). Then
  // the other half, and exit at once.
  if (stream === "stderr") console.log(`${MARKER} start`);
  const half = Math.floor(n / 2);
  for (let i = 0; i < half; i++) sink.onCall(makeEvent(i));
  await new Promise((resolve) => setTimeout(resolve, 0));
  for (let i = half; i < n; i++) sink.onCall(makeEvent(i));
  exitNow(0, "native");
} else if (mode === "broken-pipe") {
  // The parent closed its end of the stream before this runs: every write
  // fails (EPIPE). The report goes to the other stream.
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (let i = 0; i < n; i++) sink.onCall(makeEvent(i));
  await sink.flush();
  for (let i = 0; i < n; i++) sink.onCall(makeEvent(i));
  await sink.close();
  const report = `${MARKER} ${JSON.stringify({ stats: sink.stats(), errors })}`;
  if (stream === "stderr") console.log(report);
  else console.error(report);
} else {
  throw new Error(`stdio_child: unknown mode ${mode}`);
}
