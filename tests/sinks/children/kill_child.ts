// Child of tests/sinks/file_test.ts, to be killed with SIGKILL: opens a
// fileAuditSink on argv[0] and calls onCall(killEvent(i)) for i = 0, 1, 2...
// without end, yielding to the event loop every 200 events so that batches
// are written while it runs. Once the first lines are in the file it prints
// "ready" on stdout.
//
// It never drops an event (the queue has room for far more than a turn's
// events): if it ever did, the file would have a gap that the parent would
// take for the sink's fault, so it says so on stderr and exits with code 4
// instead. If no one kills it within 30 s it exits with code 3.

import { fileAuditSink } from "../../../mod.ts";
import { childArgs, exitNow } from "./events.ts";
import { killEvent } from "./kill_events.ts";

const [path] = childArgs();
const sink = await fileAuditSink(path);

const TURN = 200;
let i = 0;
for (; i < TURN; i++) sink.onCall(killEvent(i));
await sink.flush();
console.log("ready");

const giveUpAt = Date.now() + 30_000;
while (Date.now() < giveUpAt) {
  for (const end = i + TURN; i < end; i++) sink.onCall(killEvent(i));
  await new Promise((resolve) => setTimeout(resolve, 0));
  const { dropped, invalid, failed } = sink.stats();
  if (dropped + invalid + failed > 0) {
    console.error(`kill_child: ${JSON.stringify(sink.stats())}`);
    exitNow(4, "process");
  }
}
console.error(`kill_child: not killed within 30 s, ${i} events`);
exitNow(3, "process");
