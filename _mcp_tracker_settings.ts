// Internal: the settings of one audit (auditMcpServer or auditMcpTransport),
// shared by the trackers of all its connections, checked once.

import { rateLimitedConsoleReporter } from "./_report.ts";
import type { AuditSink } from "./audit_sink.ts";
import type { McpAuditOptions } from "./mcp_audit_options.ts";
import type { ToolRegistry } from "./_mcp_tool_registry.ts";

/** The settings shared by every connection of one audited server. */
export interface TrackerSettings {
  readonly sink: AuditSink;
  readonly options: McpAuditOptions;
  /** The function the user called, for error messages. */
  readonly label: string;
  readonly registry: ToolRegistry | undefined;
  readonly report: (error: Error) => void;
}

/** Checks `sink` and `options` and makes the settings of one audit. */
export function trackerSettings(
  label: string,
  sink: AuditSink,
  options: McpAuditOptions,
  registry?: ToolRegistry,
): TrackerSettings {
  if (typeof sink?.onCall !== "function") {
    throw new TypeError(
      `calltrail: ${label}() needs an AuditSink (an object with onCall) as its second argument. Pass one, such as await fileAuditSink("./mcp-audit.jsonl").`,
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `calltrail: the options of ${label}() must be an object; leave them out for the defaults.`,
    );
  }
  for (const key of ["caller", "capabilities", "tier", "toolId", "onError"]) {
    const value = options[key as keyof McpAuditOptions];
    if (value !== undefined && typeof value !== "function") {
      throw new TypeError(
        `calltrail: the ${key} option of ${label}() must be a function; got ${typeof value}.`,
      );
    }
  }
  const onError = options.onError ?? rateLimitedConsoleReporter();
  const report = (error: Error) => {
    try {
      onError(error);
    } catch {
      // onError must not throw.
    }
  };
  return { sink, options, label, registry, report };
}
