// A user's worker: tests/package/package_test.ts bundles it from the
// installed tarball (esbuild, minified) and serves it with workerd. Each
// request to /audit is one audited call, written with console.log.

import { consoleAuditSink, startCall } from "@calltrail/audit";

const sink = consoleAuditSink();

export default {
  fetch(request, _env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/ready") return new Response("ready");
    const call = startCall({
      tool_id: "ref:package.edge",
      caller_id: url.searchParams.get("caller") ?? undefined,
      tier: "hot",
    });
    sink.onCall(call.finish({ kind: "success" }));
    ctx.waitUntil(sink.flush());
    return Response.json({ call_id: call.call_id });
  },
};
