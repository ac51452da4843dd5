// Internal: hooks an audit into an MCP transport, in place. The transport
// keeps its identity and its behaviour: `send` and the `onmessage` and
// `onclose` callbacks are wrapped so that a tracker sees each message first
// (a request before it is dispatched, a response as it leaves, a close
// before the server hears of it), then the original runs, untouched.

import { McpCallTracker, type MessageInfo } from "./_mcp_call_tracker.ts";
import type { TrackerSettings } from "./_mcp_tracker_settings.ts";
import type { McpTransportLike } from "./audit_mcp_transport.ts";

/**
 * Audits every `tools/call` that passes through `transport`. With
 * `started: false` the callbacks are wrapped when the transport starts
 * (a server installs its callbacks before it calls `start()`, as the
 * Transport contract requires); with `started: true`, at once.
 */
export function instrumentTransport(
  transport: McpTransportLike,
  settings: TrackerSettings,
  started: boolean,
): void {
  const tracker = new McpCallTracker(settings, transport);
  const send = transport.send;
  transport.send = function send_(message, options) {
    tracker.sent(message);
    return send.call(transport, message, options);
  };
  if (started) {
    wrapCallbacks(transport, tracker);
    return;
  }
  const start = transport.start;
  transport.start = function start_() {
    wrapCallbacks(transport, tracker);
    return start.call(transport);
  };
}

function wrapCallbacks(
  transport: McpTransportLike,
  tracker: McpCallTracker,
): void {
  const onmessage = transport.onmessage;
  transport.onmessage = function onmessage_(message, extra) {
    tracker.received(message, extra as MessageInfo | undefined);
    onmessage?.call(transport, message, extra);
  };
  const onclose = transport.onclose;
  transport.onclose = function onclose_() {
    tracker.closed();
    onclose?.call(transport);
  };
}
