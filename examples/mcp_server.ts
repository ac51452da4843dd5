// An MCP server on stdio with three tools, every tools/call audited into a
// JSON Lines file by calltrail: copy it as a starting point.
//
//   node examples/mcp_server.ts [--audit PATH]     (default ./mcp-audit.jsonl)
//   deno run -A examples/mcp_server.ts ...     bun examples/mcp_server.ts ...
//
// An MCP client starts it and speaks JSON-RPC on its stdin and stdout, so
// the audit goes to a file (or stderr), never to stdout. The server stops
// when its stdin ends or on SIGINT/SIGTERM, and closes the sink first: a
// call still running then is recorded as CANCELLED. See the README for a
// client configuration.
//
// In your own code, import from "@calltrail/audit" and
// "@calltrail/audit/mcp" instead of "../mod.ts" and "../mcp.ts".

import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import process from "node:process";
import { parseArgs } from "node:util";
import { z } from "zod";
import { fileAuditSink } from "../mod.ts";
import { auditMcpServer } from "../mcp.ts";

const { values } = parseArgs({
  options: { audit: { type: "string", default: "./mcp-audit.jsonl" } },
});
const sink = await fileAuditSink(values.audit);

const server = new McpServer({ name: "calltrail-notes", version: "1.0.0" });
auditMcpServer(server, sink, {
  // On stdio there is no token and no session: name the caller after the
  // client, as it introduced itself.
  caller: () => server.server.getClientVersion()?.name,
});

const notes = new Map([
  ["todo", "buy milk"],
  ["ideas", "an audit trail for every tool call"],
]);

server.registerTool(
  "add",
  {
    description: "Adds two numbers.",
    inputSchema: { a: z.number(), b: z.number() },
  },
  ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }),
);

server.registerTool(
  "read_note",
  {
    description: "Reads a note by name.",
    inputSchema: { name: z.string() },
  },
  ({ name }) => {
    const note = notes.get(name);
    return note === undefined
      ? { content: [{ type: "text", text: "no such note" }], isError: true }
      : { content: [{ type: "text", text: note }] };
  },
);

server.registerTool(
  "wait",
  {
    description: "Waits, then says how long it waited. Cancel it any time.",
    inputSchema: { ms: z.number().int().min(0).max(60_000) },
  },
  async ({ ms }, extra) => {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      extra.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(extra.signal.reason);
      });
    });
    return { content: [{ type: "text", text: `waited ${ms} ms` }] };
  },
);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.close(); // calls still running are recorded as CANCELLED
  await sink.close(); // every event written
  process.exit(0);
}
process.stdin.on("end", stop);
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

await server.connect(new StdioServerTransport());
console.error(`calltrail-notes: MCP server on stdio, audit in ${values.audit}`);
