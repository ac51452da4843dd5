// `calltrail tail`: one readable line per event, the last N, or following
// the file as it grows.

import { type CallEvent, readCallEvents } from "../mod.ts";
import { count, parse, UsageError } from "./_args.ts";
import { fileChunks, sizeOf } from "./_files.ts";
import { follow } from "./_follow.ts";
import {
  type Colour,
  formatCount,
  paint,
  printable,
  useColour,
} from "./_text.ts";
import { cliProcess } from "./_node.ts";

const KIND_COLOURS: Map<string, Colour> = new Map([
  ["success", "green"],
  ["invalid_args", "yellow"],
  ["execution_failed", "red"],
  ["capability_denied", "red"],
  ["rate_limited", "yellow"],
  ["tool_not_found", "magenta"],
]);
const KINDS_TEXT = [...KIND_COLOURS.keys()].join(", ");

/** The help of `calltrail tail`. */
export const TAIL_HELP =
  `Usage: calltrail tail [-n N] [-f] [--tool T] [--caller C] [--outcome K] FILE

Prints one readable line per event of an audit log: time, outcome, tool,
caller, duration and the outcome's details. Colour on a terminal, unless
NO_COLOR is set. Bad lines are counted (on stderr), not printed.

Options:
  -n, --lines N   print only the last N matching events (then follow, with -f)
  -f, --follow    keep printing events as the file grows (and across a
                  rotation or truncation); stop with Ctrl-C
  --tool T        only events of tool T (repeat for several)
  --caller C      only events of caller C (repeat for several)
  --outcome K     only events whose outcome kind is K (repeat for several):
                  ${KINDS_TEXT}
  -h, --help      show this help

Exit codes: 0 ok, 2 usage error or unreadable file.
`;

/** The longest outcome kind, to align the columns after it. */
const KIND_WIDTH = 17;
/** Bad lines told one by one on stderr; the rest are only counted. */
const TOLD_BAD_LINES = 10;
/** Output is written in pieces of about this many characters. */
const OUTPUT_CHARS = 64 * 1024;

/** Runs `calltrail tail`; returns the exit code (unless it follows for ever). */
export async function tailCommand(args: string[]): Promise<number> {
  const process = cliProcess();
  const parsed = parse("tail", args, {
    lines: { type: "string", short: "n" },
    follow: { type: "boolean", short: "f" },
    tool: { type: "string", multiple: true },
    caller: { type: "string", multiple: true },
    outcome: { type: "string", multiple: true },
  });
  if (parsed === undefined) {
    process.stdout.write(TAIL_HELP);
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    throw new UsageError("calltrail tail: name one log file.", "tail");
  }
  const [path] = parsed.positionals;
  const last = count("tail", "-n", parsed.values.lines as string | undefined);
  const outcomes = parsed.values.outcome as string[] | undefined;
  for (const kind of outcomes ?? []) {
    if (!KIND_COLOURS.has(kind)) {
      throw new UsageError(
        `calltrail tail: no outcome kind ${
          JSON.stringify(kind)
        }; the kinds are ${KINDS_TEXT}.`,
        "tail",
      );
    }
  }
  const match = filter(
    parsed.values.tool as string[] | undefined,
    parsed.values.caller as string[] | undefined,
    outcomes,
  );
  await sizeOf(path);

  const colour = useColour(process.stdout);
  const out = new Output();
  /** With -n: the last N lines, printed once the file's end is reached. */
  let kept: Ring | undefined = last === undefined ? undefined : new Ring(last);
  const flushKept = () => {
    if (kept === undefined) return;
    for (const line of kept.lines()) out.line(line);
    kept = undefined;
  };
  let bad = 0;
  const source = parsed.values.follow === true
    ? follow(path, {
      idle() {
        flushKept();
        void out.flush();
      },
      restarted(why) {
        process.stderr.write(
          `calltrail tail: ${path}: ${why}; reading it from its start.\n`,
        );
      },
    })
    : fileChunks(path);
  for await (
    const event of readCallEvents(source, {
      onInvalid(line, error) {
        bad++;
        if (bad <= TOLD_BAD_LINES) {
          process.stderr.write(
            `calltrail tail: line ${line} skipped: ${error.message}\n`,
          );
        }
      },
    })
  ) {
    if (!match(event)) continue;
    const line = format(event, colour);
    if (kept === undefined) {
      out.line(line);
      if (out.full()) await out.flush();
    } else {
      kept.push(line);
    }
  }
  flushKept();
  await out.flush();
  if (bad > 0) {
    process.stderr.write(
      `calltrail tail: ${formatCount(bad)} ${
        bad === 1
          ? "line was not a valid event, and was"
          : "lines were not valid events, and were"
      } skipped.\n`,
    );
  }
  return 0;
}

/** The last `size` lines pushed. */
class Ring {
  readonly #lines: string[] = [];
  readonly #size: number;
  #next = 0;

  constructor(size: number) {
    this.#size = size;
  }

  push(line: string): void {
    if (this.#size === 0) return;
    if (this.#lines.length < this.#size) this.#lines.push(line);
    else this.#lines[this.#next] = line;
    this.#next = (this.#next + 1) % this.#size;
  }

  lines(): string[] {
    return this.#lines.length < this.#size
      ? this.#lines
      : [...this.#lines.slice(this.#next), ...this.#lines.slice(0, this.#next)];
  }
}

/** Output gathered into large writes, waiting when stdout is full. */
class Output {
  #text = "";

  line(text: string): void {
    this.#text += `${text}\n`;
  }

  full(): boolean {
    return this.#text.length >= OUTPUT_CHARS;
  }

  async flush(): Promise<void> {
    if (this.#text === "") return;
    const text = this.#text;
    this.#text = "";
    const { stdout } = cliProcess();
    if (!stdout.write(text)) {
      await new Promise((resolve) => stdout.once("drain", resolve));
    }
  }
}

/** The test of `--tool`, `--caller` and `--outcome` (each a set, or all). */
function filter(
  tools: string[] | undefined,
  callers: string[] | undefined,
  outcomes: string[] | undefined,
): (event: CallEvent) => boolean {
  const tool = tools && new Set(tools);
  const caller = callers && new Set(callers);
  const outcome = outcomes && new Set(outcomes);
  return (event) =>
    (tool === undefined || tool.has(event.tool_id)) &&
    (caller === undefined ||
      (event.caller_id !== undefined && caller.has(event.caller_id))) &&
    (outcome === undefined || outcome.has(event.outcome.kind));
}

/** One event as one readable line. */
export function format(event: CallEvent, colour: boolean): string {
  const kind = event.outcome.kind;
  const parts = [
    paint(colour, "dim", printable(event.ts)),
    paint(colour, KIND_COLOURS.get(kind) ?? "bold", kind.padEnd(KIND_WIDTH)),
    paint(colour, "bold", printable(event.tool_id)),
    event.caller_id === undefined ? "-" : printable(event.caller_id),
    `${event.duration_ms} ms`,
  ];
  const detail = details(event);
  if (detail !== "") parts.push(paint(colour, "cyan", detail));
  return parts.join("  ");
}

function details(event: CallEvent): string {
  const outcome = event.outcome;
  const out: string[] = [];
  switch (outcome.kind) {
    case "invalid_args":
      out.push(printable(JSON.stringify(outcome.message)));
      break;
    case "execution_failed":
      out.push(
        `code=${printable(outcome.code)}${
          outcome.retryable ? " retryable" : ""
        }`,
      );
      break;
    case "capability_denied":
      out.push(`missing=${outcome.missing.map(printable).join(",")}`);
      break;
    case "rate_limited":
      out.push(
        outcome.retry_after_ms === null
          ? "retry_after=?"
          : `retry_after=${outcome.retry_after_ms}ms`,
      );
      break;
  }
  if (event.dry_run) out.push("dry-run");
  if (event.cursor_page !== undefined) out.push(`page=${event.cursor_page}`);
  return out.join(" ");
}
