// Child of tests/sinks/file_rotate_test.ts and file_rotate_property_test.ts:
// a fileAuditSink on argv[1] that rotates.
// - "exit": rotate at 1,000 bytes; queues 2,000 events without waiting, then
//   calls process.exit(0): the exit drain writes them all to the live file,
//   without rotating.
// - "kill": rotate at 64 KiB; writes killEvent(0), (1), (2)... without end,
//   yielding every 200, and prints "ready" once the file has been rotated a
//   few times; the parent SIGKILLs it. It exits with code 4 if an event was
//   dropped or a rotation failed (the parent would take a gap for the
//   sink's fault), and with code 3 if no one kills it within 30 s.

import { fileAuditSink } from "../../../mod.ts";
import { childArgs, exitNow, makeEvent } from "./events.ts";
import { killEvent } from "./kill_events.ts";

const [mode, path] = childArgs();

if (mode === "exit") {
  const sink = await fileAuditSink(path, {
    capacity: 10_000,
    rotate: { maxBytes: 1000 },
  });
  for (let i = 0; i < 2000; i++) sink.onCall(makeEvent(i));
  exitNow(0, "process");
}

const sink = await fileAuditSink(path, {
  capacity: 10_000,
  rotate: { maxBytes: 64 * 1024 },
});
const TURN = 200;
let i = 0;
let ready = false;
const giveUpAt = Date.now() + 30_000;
while (Date.now() < giveUpAt) {
  for (const end = i + TURN; i < end; i++) sink.onCall(killEvent(i));
  await new Promise((resolve) => setTimeout(resolve, 0));
  const { dropped, invalid, failed } = sink.stats();
  if (dropped + invalid + failed + sink.rotations().failed > 0) {
    console.error(
      `rotate_child: ${JSON.stringify([sink.stats(), sink.rotations()])}`,
    );
    exitNow(4, "process");
  }
  if (!ready && sink.rotations().rotated >= 3) {
    ready = true;
    console.log("ready");
  }
}
console.error(`rotate_child: not killed within 30 s, ${i} events`);
exitNow(3, "process");
