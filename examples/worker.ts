// A Cloudflare Worker audited with calltrail: copy it as a starting point.
//
// Each request runs one tool, `GET /<tool>?<arguments>`, and is one audited
// call: a success, a failure (the tool threw: execution_failed) or an unknown
// tool (tool_not_found). consoleAuditSink() writes each line with
// console.log, which the platform collects as logs; ctx.waitUntil keeps the
// request alive until the lines are out.
//
// Run it on workerd (worker.capnp, next to this file, serves examples/worker.js
// on 127.0.0.1:8787):
//
//   npx esbuild examples/worker.ts --bundle --format=esm --outfile=examples/worker.js
//   npx workerd serve examples/worker.capnp
//   curl 'http://127.0.0.1:8787/divide?a=1&b=4'     # success
//   curl 'http://127.0.0.1:8787/divide?a=1&b=0'     # execution_failed
//
// workerd's clock moves only on I/O: for a tool that only computes,
// duration_ms reads 0.
//
// In your own code, import from "@calltrail/audit" instead of "../mod.ts".

import { consoleAuditSink, startCall } from "../mod.ts";

/** The part of the Workers `ExecutionContext` this worker uses. */
interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** A tool takes the query's arguments; it throws when it fails. */
type Tool = (args: URLSearchParams) => unknown;

const tools: Record<string, Tool> = {
  divide: (args) => {
    const [a, b] = [Number(args.get("a")), Number(args.get("b"))];
    if (b === 0) throw new RangeError("division by zero");
    return { quotient: a / b };
  },
};

// At module scope: one sink for every request this isolate serves.
const sink = consoleAuditSink();

export default {
  async fetch(
    request: Request,
    _env: unknown,
    ctx: ExecutionContext,
  ): Promise<Response> {
    const url = new URL(request.url);
    const toolId = url.pathname.slice(1);
    const call = startCall({
      tool_id: toolId,
      caller_id: request.headers.get("x-caller-id") ?? undefined,
      tier: "hot",
    });
    try {
      const tool = Object.hasOwn(tools, toolId) ? tools[toolId] : undefined;
      if (tool === undefined) {
        sink.onCall(call.finish({ kind: "tool_not_found" }));
        return Response.json({ error: `no tool ${toolId}` }, { status: 404 });
      }
      const result = await tool(url.searchParams);
      sink.onCall(call.finish({ kind: "success" }));
      return Response.json(result);
    } catch (error) {
      sink.onCall(call.finish({
        kind: "execution_failed",
        code: "TOOL_ERROR",
        retryable: false,
      }));
      return Response.json({ error: String(error) }, { status: 500 });
    } finally {
      // Keeps the request alive until its line is written.
      ctx.waitUntil(sink.flush());
    }
  },
};
