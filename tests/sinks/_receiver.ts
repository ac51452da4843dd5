// A scripted HTTP receiver on 127.0.0.1 for the HTTP sinks' tests: it keeps
// every request (headers and body, gunzipped), and answers each one as the
// next step of its script says (a status with headers and a body, after a
// delay; a reset connection; no answer at all), then 204 once the script is
// done.

import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";
import { gunzipSync } from "node:zlib";

/** How the receiver answers one request. */
export type Answer =
  | {
    status: number;
    headers?: Record<string, string>;
    body?: string;
    /** Milliseconds to wait before answering. */
    delay?: number;
  }
  | { reset: true }
  | { hang: true };

/** A request as the receiver got it. */
export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  /** The body, gunzipped when it came with content-encoding: gzip. */
  body: string;
  /** The body's size on the wire. */
  wireBytes: number;
}

/** A running receiver. */
export interface Receiver extends AsyncDisposable {
  /** Its URL, such as `http://127.0.0.1:41234/ingest`. */
  url: string;
  /** Every request so far, in order. */
  requests: Received[];
  /** The most requests it was answering at once. */
  maxInFlight(): number;
  /** The lines of every request so far, in order. */
  lines(): string[];
  /** Adds steps to the script: how the next requests are answered. */
  script(...answers: Answer[]): void;
  /** Answers every request with `answer` from now on (until reset). */
  always(answer: Answer | undefined): void;
  /** Stops listening and drops every connection (the receiver is down). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/** Starts a receiver on a free port of 127.0.0.1. */
export async function startReceiver(path = "/ingest"): Promise<Receiver> {
  const requests: Received[] = [];
  const steps: Answer[] = [];
  let standing: Answer | undefined;
  const sockets = new Set<Socket>();
  let server: Server;
  let port = 0;
  let inFlight = 0;
  let maxInFlight = 0;

  const answer = async (
    request: IncomingMessage,
    response: import("node:http").ServerResponse,
  ) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const gzipped = request.headers["content-encoding"] === "gzip";
    requests.push({
      method: request.method ?? "",
      url: request.url ?? "",
      headers: request.headers,
      body: (gzipped ? gunzipSync(raw) : raw).toString("utf8"),
      wireBytes: raw.length,
    });
    const step = steps.shift() ?? standing ?? { status: 204 };
    if ("reset" in step) return request.socket.destroy();
    if ("hang" in step) return; // never answers
    if (step.delay !== undefined) {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, step.delay));
      inFlight--;
    }
    response.writeHead(step.status, step.headers);
    response.end(step.body);
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((request, response) => {
        answer(request, response).catch(() => request.socket.destroy());
      });
      server.on("connection", (socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
      });
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        const address = server.address();
        if (typeof address === "object" && address !== null) {
          port = address.port;
        }
        resolve();
      });
    });

  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });

  await listen();
  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    maxInFlight: () => maxInFlight,
    lines: () =>
      requests.flatMap((r) => r.body.split("\n").filter((l) => l !== "")),
    script: (...answers) => void steps.push(...answers),
    always: (answer) => void (standing = answer),
    stop,
    start: listen,
    [Symbol.asyncDispose]: stop,
  };
}
