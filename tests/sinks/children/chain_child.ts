// Child of tests/sinks/file_chain_test.ts: a chained fileAuditSink on
// argv[1], with the 32-byte key 0x01 0x01 ... when argv[2] is "key".
// - "exit": queues 5,000 events without waiting, then calls process.exit(0):
//   the exit drain must write and seal them all.
// - "kill": writes events 0, 1, 2... without end, yielding every 200, and
//   prints "ready" once the first ones are written; the parent SIGKILLs it.
//   It exits with code 3 if no one does within 30 s.

import { fileAuditSink } from "../../../mod.ts";
import { childArgs, exitNow, makeEvent } from "./events.ts";

const [mode, path, keyed] = childArgs();
const key = keyed === "key" ? new Uint8Array(32).fill(1) : undefined;
const sink = await fileAuditSink(path, {
  capacity: 10_000,
  chain: key === undefined ? true : { key },
});

if (mode === "exit") {
  for (let i = 0; i < 5000; i++) sink.onCall(makeEvent(i));
  exitNow(0, "process");
}

const TURN = 200;
let i = 0;
for (; i < TURN; i++) sink.onCall(makeEvent(i));
await sink.flush();
console.log("ready");
const giveUpAt = Date.now() + 30_000;
while (Date.now() < giveUpAt) {
  for (const end = i + TURN; i < end; i++) sink.onCall(makeEvent(i));
  await new Promise((resolve) => setTimeout(resolve, 0));
}
console.error(`chain_child: not killed within 30 s, ${i} events`);
exitNow(3, "process");
