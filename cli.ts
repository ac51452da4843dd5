#!/usr/bin/env node
/**
 * The `calltrail` command line: read, follow, verify and chart the audit
 * logs that `@calltrail/audit` (or atd-runtime) writes.
 *
 * ```sh
 * calltrail stats audit.jsonl                  # counts, latency, denials
 * calltrail stats --json audit.jsonl           # the same, as one JSON object
 * calltrail tail -f --outcome capability_denied audit.jsonl
 * calltrail verify --key-file audit.key audit.jsonl
 * calltrail report audit.jsonl -o report.html  # charts, one offline page
 * ```
 *
 * Run it with `npx calltrail` or `bunx calltrail` (npm),
 * `deno run -A npm:@calltrail/audit/cli`, the package's `./cli` entry point
 * from JSR, or `node cli.ts` in a checkout. `calltrail --help` lists the commands, and
 * `calltrail <command> --help` their options. Exit codes: 0 ok, 1 problems
 * found (`verify`), 2 a usage error or a file that cannot be read.
 *
 * @module
 */
import { run } from "./cli/main.ts";

await run();
