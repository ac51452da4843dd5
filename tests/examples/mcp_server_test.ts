// Runs examples/mcp_server.ts as a real stdio MCP server, on the runtime
// running the tests: first under the SDK's Client and StdioClientTransport,
// then over raw pipes, where every byte of stdout is checked to be the
// protocol's and nothing else. Each time the audit file is checked line by
// line against the calls made.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { type CallEvent, parseCallEvent } from "../../mod.ts";
import { runtime, tempDir } from "../_helpers.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const EXAMPLE = join(ROOT, "examples", "mcp_server.ts");
const CLIENT = "calltrail-test-client";

/** The command line that runs the example on the runtime under test. */
function exampleArgs(auditPath: string): string[] {
  const script = [EXAMPLE, "--audit", auditPath];
  return runtime === "deno" ? ["run", "--allow-all", ...script] : script;
}

/** The audit file's events, each line parsed on its own. */
async function auditLines(path: string): Promise<CallEvent[]> {
  const text = await readFile(path, "utf8");
  assert.ok(text.endsWith("\n"), `the file ends with a newline: ${text}`);
  return text.slice(0, -1).split("\n").map((line) => parseCallEvent(line));
}

const summary = (
  event: CallEvent,
) => [event.tool_id, event.caller_id, event.tier, event.outcome];

test("the example under the SDK's StdioClientTransport: one line per call", async () => {
  const dir = await tempDir();
  try {
    const path = join(dir.path, "mcp-audit.jsonl");
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: exampleArgs(path),
      cwd: ROOT,
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (chunk) => (stderr += chunk));
    // Installed before connect(): the client's Protocol calls them first.
    const received: Record<string, unknown>[] = [];
    const errors: Error[] = [];
    transport.onmessage = (message) => void received.push(message);
    transport.onerror = (error) => void errors.push(error);
    const requested: unknown[] = [];
    const send = transport.send.bind(transport);
    transport.send = (message) => {
      if ("id" in message && "method" in message) requested.push(message.id);
      return send(message);
    };

    const client = new Client({ name: CLIENT, version: "1.0.0" });
    await client.connect(transport);
    const tools = await client.listTools();
    assert.deepEqual(tools.tools.map((tool) => tool.name).sort(), [
      "add",
      "read_note",
      "wait",
    ]);
    const sum = await client.callTool({
      name: "add",
      arguments: { a: 2, b: 3 },
    });
    assert.deepEqual(sum.content, [{ type: "text", text: "5" }]);
    await client.callTool({ name: "add", arguments: { a: "two", b: 3 } });
    await client.callTool({ name: "read_note", arguments: { name: "todo" } });
    await client.callTool({ name: "read_note", arguments: { name: "nope" } });
    await client.callTool({ name: "subtract", arguments: { a: 1, b: 1 } });
    const abort = new AbortController();
    const waiting = client.callTool(
      { name: "wait", arguments: { ms: 30_000 } },
      undefined,
      { signal: abort.signal },
    );
    setTimeout(() => abort.abort("enough"), 50);
    await assert.rejects(waiting);
    await client.close(); // ends the server's stdin; it closes its sink

    const output = `stderr:\n${stderr}`;
    assert.deepEqual(errors, [], `stdout held only JSON-RPC\n${output}`);
    assert.ok(received.length > 0);
    for (const message of received) assert.equal(message.jsonrpc, "2.0");
    const answered = received.filter((m) => "id" in m).map((m) => m.id);
    // Every request but the cancelled one got its one response.
    assert.deepEqual(answered, requested.slice(0, -1), output);

    const events = await auditLines(path);
    const failed = (code: string, retryable: boolean) =>
      ({ kind: "execution_failed", code, retryable }) as const;
    assert.deepEqual(events.map(summary), [
      ["add", CLIENT, "hot", { kind: "success" }],
      ["add", CLIENT, "hot", {
        kind: "invalid_args",
        message: "a: invalid_type (expected number)",
      }],
      ["read_note", CLIENT, "hot", { kind: "success" }],
      ["read_note", CLIENT, "hot", failed("TOOL_ERROR", false)],
      ["subtract", CLIENT, "hot", { kind: "tool_not_found" }],
      ["wait", CLIENT, "hot", failed("CANCELLED", true)],
    ], output);
    assert.match(stderr, /calltrail-notes: MCP server on stdio/);
    assert.doesNotMatch(stderr, /"call_id"/, "no audit line on stderr");
  } finally {
    await dir[Symbol.asyncDispose]();
  }
});

/** The example over raw pipes: what it writes, and how it ends. */
function runRaw(auditPath: string) {
  const child = spawn(process.execPath, exampleArgs(auditPath), {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters: { id: number; resolve: () => void }[] = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    for (const waiter of waiters) {
      if (stdout.includes(`"id":${waiter.id}}`)) waiter.resolve();
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: string | null }>(
    (resolve) => child.on("close", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    send(message: Record<string, unknown>) {
      child.stdin.write(JSON.stringify({ jsonrpc: "2.0", ...message }) + "\n");
    },
    /** Resolves once the response to request `id` is on stdout. */
    answered(id: number): Promise<void> {
      return new Promise((resolve) => waiters.push({ id, resolve }));
    },
  };
}

const INITIALIZE = {
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "raw-client", version: "1.0.0" },
  },
};
const INITIALIZED = { method: "notifications/initialized" };

/** stdout as JSON-RPC responses, failing on any other byte. */
function responses(stdout: string): { id: unknown }[] {
  assert.ok(stdout.endsWith("\n"), `stdout ends with a newline: ${stdout}`);
  return stdout.slice(0, -1).split("\n").map((line) => {
    const message = JSON.parse(line);
    assert.equal(message.jsonrpc, "2.0", line);
    assert.ok("result" in message || "error" in message, line);
    return message;
  });
}

test("the example over raw stdio: stdout is the protocol's; stdin's end closes the sink", async () => {
  const dir = await tempDir();
  try {
    const path = join(dir.path, "mcp-audit.jsonl");
    const server = runRaw(path);
    server.send(INITIALIZE);
    server.send(INITIALIZED);
    server.send({
      id: 2,
      method: "tools/call",
      params: { name: "add", arguments: { a: 40, b: 2 } },
    });
    server.send({
      id: 3,
      method: "tools/call",
      params: { name: "wait", arguments: { ms: 30_000 } },
    });
    server.send({ id: 4, method: "ping" });
    await server.answered(4); // the wait call has arrived and runs
    server.child.stdin.end();
    const exit = await server.exited;
    const output = `stdout:\n${server.stdout()}\nstderr:\n${server.stderr()}`;
    assert.deepEqual(exit, { code: 0, signal: null }, output);
    const ids = responses(server.stdout()).map((r) => r.id as number);
    assert.deepEqual(ids.sort(), [1, 2, 4], "no response to the wait call");
    assert.match(server.stdout(), /"text":"42"/);
    const events = await auditLines(path);
    assert.deepEqual(events.map(summary), [
      ["add", "raw-client", "hot", { kind: "success" }],
      ["wait", "raw-client", "hot", {
        kind: "execution_failed",
        code: "CANCELLED",
        retryable: true,
      }],
    ], output);
  } finally {
    await dir[Symbol.asyncDispose]();
  }
});

test("the example on SIGTERM: the running call is CANCELLED, the sink closed, exit 0", async () => {
  const dir = await tempDir();
  try {
    const path = join(dir.path, "mcp-audit.jsonl");
    const server = runRaw(path);
    server.send(INITIALIZE);
    server.send(INITIALIZED);
    server.send({
      id: 2,
      method: "tools/call",
      params: { name: "wait", arguments: { ms: 30_000 } },
    });
    server.send({ id: 3, method: "ping" });
    await server.answered(3);
    // By pid: Deno's child.kill() reports the signal it sent as the exit,
    // even when the child handles it and exits 0.
    process.kill(server.child.pid!, "SIGTERM");
    const exit = await server.exited;
    const output = `stdout:\n${server.stdout()}\nstderr:\n${server.stderr()}`;
    assert.deepEqual(exit, { code: 0, signal: null }, output);
    const ids = responses(server.stdout()).map((r) => r.id as number);
    assert.deepEqual(ids.sort(), [1, 3], "no response to the wait call");
    const events = await auditLines(path);
    assert.deepEqual(events.map(summary), [
      ["wait", "raw-client", "hot", {
        kind: "execution_failed",
        code: "CANCELLED",
        retryable: true,
      }],
    ], output);
  } finally {
    await dir[Symbol.asyncDispose]();
  }
});
