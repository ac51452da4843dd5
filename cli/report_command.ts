// `calltrail report`: one self-contained HTML page of charts.

import { files, parse, UsageError } from "./_args.ts";
import { FileError } from "./_files.ts";
import { reportHtml } from "./_report_html.ts";
import { summarize } from "./_summarize.ts";
import { Timeline } from "./_timeline.ts";
import { cliFs, cliProcess } from "./_node.ts";

/** The help of `calltrail report`. */
export const REPORT_HELP = `Usage: calltrail report FILE... -o report.html

Writes one self-contained HTML page about audit logs (rotated files oldest
first, the live file last): calls over time by outcome, latency per tool
(p50, p95, p99, max), denials by capability and top callers, with the same
numbers as calltrail stats. The page loads nothing from the network (its
Content-Security-Policy forbids it); open it in any browser. Bad lines are
counted, not fatal. SOURCE_DATE_EPOCH, when set, is the time it names as
its making (for reproducible pages).

Options:
  -o, --output F   the HTML file to write (required)
  -h, --help       show this help

Exit codes: 0 ok, 2 usage error or unreadable file.
`;

/** Runs `calltrail report`; returns the exit code. */
export async function reportCommand(args: string[]): Promise<number> {
  const process = cliProcess();
  const parsed = parse("report", args, {
    output: { type: "string", short: "o" },
  });
  if (parsed === undefined) {
    process.stdout.write(REPORT_HELP);
    return 0;
  }
  const paths = files("report", parsed);
  const output = parsed.values.output as string | undefined;
  if (output === undefined) {
    throw new UsageError(
      "calltrail report: name the page to write with -o report.html.",
      "report",
    );
  }
  const timeline = new Timeline();
  const stats = await summarize(
    "report",
    paths,
    (event) => timeline.add(event),
  );
  const html = reportHtml({
    files: paths,
    stats,
    bars: timeline.bars(),
    generated: generatedAt(),
  });
  try {
    await cliFs().writeFile(output, html);
  } catch (error) {
    throw new FileError(output, error, "write");
  }
  process.stdout.write(
    `Wrote ${output}: ${
      stats.calls.toLocaleString("en-US")
    } calls from ${paths.length} ${paths.length === 1 ? "file" : "files"}.\n`,
  );
  return 0;
}

/**
 * When the report is made: now, or SOURCE_DATE_EPOCH (seconds) when set, as
 * reproducible builds do, so that the same logs make the same page.
 */
function generatedAt(): string {
  const process = cliProcess();
  const epoch = process.env.SOURCE_DATE_EPOCH;
  const seconds = epoch === undefined ? NaN : Number(epoch);
  return new Date(Number.isFinite(seconds) ? seconds * 1000 : Date.now())
    .toISOString();
}
