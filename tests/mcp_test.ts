// The entry point @calltrail/audit/mcp: what it exports, and the SDK kept
// outside the core (SPEC §5.1): neither mod.ts nor mcp.ts imports
// @modelcontextprotocol/sdk, directly or through the modules they import.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import * as mcp from "../mcp.ts";

test("mcp.ts exports auditMcpServer and auditMcpTransport", () => {
  assert.deepEqual(Object.keys(mcp).sort(), [
    "auditMcpServer",
    "auditMcpTransport",
  ]);
  for (const name of ["auditMcpServer", "auditMcpTransport"] as const) {
    assert.equal(typeof mcp[name], "function", name);
  }
});

/** Every specifier `file` imports or re-exports, types included. */
function specifiers(file: URL): string[] {
  const source = readFileSync(file, "utf8")
    // JSDoc examples import the SDK on purpose: leave comments out.
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const found: string[] = [];
  for (
    const match of source.matchAll(
      /(?:^|;|\n)\s*(?:import|export)\b[^"']*?(?:from\s*)?["']([^"']+)["']/g,
    )
  ) {
    found.push(match[1]);
  }
  return found;
}

/** The local modules reachable from `entry`, and every outside specifier. */
function importGraph(entry: string): { local: Set<string>; outside: string[] } {
  const root = new URL("../", import.meta.url);
  const local = new Set<string>();
  const outside: string[] = [];
  const visit = (url: URL) => {
    const path = url.href.slice(root.href.length);
    if (local.has(path)) return;
    local.add(path);
    for (const specifier of specifiers(url)) {
      if (specifier.startsWith(".")) visit(new URL(specifier, url));
      else outside.push(`${path}: ${specifier}`);
    }
  };
  visit(new URL(entry, root));
  return { local, outside };
}

test("mod.ts and what it imports never import the MCP SDK, nor mcp.ts", () => {
  const { local, outside } = importGraph("mod.ts");
  assert.ok(local.has("json_lines_audit_sink.ts"), "the walk follows imports");
  assert.ok(
    outside.some((entry) => /: zod(\/mini)?$/.test(entry)),
    "zod is seen",
  );
  for (const entry of outside) {
    assert.doesNotMatch(entry, /@modelcontextprotocol/);
  }
  for (const path of local) {
    assert.doesNotMatch(path, /^(mcp|audit_mcp|_mcp|mcp_)/, path);
  }
});

test("mcp.ts and what it imports never import the MCP SDK", () => {
  const { local, outside } = importGraph("mcp.ts");
  assert.ok(local.has("_mcp_tool_registry.ts"), "the walk follows imports");
  for (const entry of outside) {
    assert.doesNotMatch(entry, /@modelcontextprotocol/);
  }
});
