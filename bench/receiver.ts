// A loopback receiver for the HTTP sinks' benchmarks, in its own process so
// that its work is not charged to the senders: it counts the events each
// request carries (OTLP/JSON log records, or JSON lines), answers 200 after
// `--delay` ms, and tells its count on GET /count.
//
//   node bench/receiver.ts [--delay MS]
//
// It prints its URL on stdout once it listens.

import { createServer } from "node:http";
import process from "node:process";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { delay: { type: "string", default: "0" } },
});
const delay = Number(values.delay);
let events = 0;
let requests = 0;

const server = createServer((request, response) => {
  if (request.method === "GET" && request.url === "/count") {
    response.end(JSON.stringify({ events, requests }));
    return;
  }
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    // One "timeUnixNano" key per OTLP log record, one "\n" per JSON line:
    // counted without parsing, so that the receiver keeps up with both
    // writers and the senders are what is measured.
    const mark = request.headers["content-type"]?.startsWith("application/json")
      ? '"timeUnixNano"'
      : "\n";
    for (let i = body.indexOf(mark); i !== -1; i = body.indexOf(mark, i + 1)) {
      events++;
    }
    requests++;
    const answer = () => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end("{}");
    };
    if (delay > 0) setTimeout(answer, delay);
    else answer();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (typeof address === "object" && address !== null) {
    console.log(`http://127.0.0.1:${address.port}`);
  }
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
