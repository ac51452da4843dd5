// Child of tests/sinks/file_test.ts: opens a fileAuditSink on argv[0] and
// ends the process without close(), as told by argv[2]:
// - "exit": onCall N events, then Deno.exit(0) (Deno) or process.exit(0), in
//   the same synchronous turn;
// - "process-exit": the same with process.exit(0) on every runtime;
// - "return": onCall N events and return (the event loop ends by itself);
// - "send-microtask": await send() of N events, then exit from a microtask;
// - "send-timer": await send() of N events and exit from a timer set before
//   the last ones were sent.
// The parent expects exactly N lines, events 0 to N-1.

import { fileAuditSink } from "../../../mod.ts";
import { childArgs, exitNow, makeEvent } from "./events.ts";

const [path, count, mode] = childArgs();
const n = Number(count);

if (mode === "exit" || mode === "process-exit" || mode === "return") {
  const sink = await fileAuditSink(path, { capacity: n });
  for (let i = 0; i < n; i++) sink.onCall(makeEvent(i));
  if (mode === "exit") exitNow(0, "native");
  if (mode === "process-exit") exitNow(0, "process");
} else if (mode === "send-microtask") {
  // A small queue, so that sends wait for room and batches are in flight.
  const sink = await fileAuditSink(path, { capacity: 16 });
  for (let i = 0; i < n; i++) await sink.send(makeEvent(i));
  queueMicrotask(() => exitNow(0, "native"));
} else if (mode === "send-timer") {
  const sink = await fileAuditSink(path, { capacity: 16 });
  const half = Math.floor(n / 2);
  for (let i = 0; i < half; i++) await sink.send(makeEvent(i));
  // Let the sink go idle (its own timer, if any, has run), then set the exit
  // timer before the next events: it runs before any timer the sink sets
  // for them, so they are still queued when the process exits.
  await sink.flush();
  await new Promise((resolve) => setTimeout(resolve, 0));
  setTimeout(() => exitNow(0, "native"), 0);
  for (let i = half; i < n; i++) await sink.send(makeEvent(i));
} else {
  throw new Error(`file_exit_child: unknown mode ${mode}`);
}
