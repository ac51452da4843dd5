// The `calltrail` command: dispatches to one command per file, turns usage
// errors and unreadable files into exit code 2, and sets the exit code.

import { UsageError } from "./_args.ts";
import { FileError } from "./_files.ts";
import { reportCommand } from "./report_command.ts";
import { statsCommand } from "./stats_command.ts";
import { tailCommand } from "./tail_command.ts";
import { verifyCommand } from "./verify_command.ts";
import { cliProcess } from "./_node.ts";

/** The help of `calltrail` itself. */
export const MAIN_HELP = `Usage: calltrail <command> [options] FILE...

Reads, follows, verifies and charts calltrail audit logs (JSON Lines written
by @calltrail/audit or atd-runtime, schema versions 1 to 3).

Commands:
  stats [--json] FILE...            calls per outcome, tool and caller; latency
                                    percentiles; denials; time range; bad lines
  tail [-n N] [-f] [filters] FILE   one readable line per event; -f follows
  verify [--key-file F] FILE...     checks every line, and the chain if the log
                                    has one (FILE.chain); names the first bad line
  report FILE... -o report.html     one self-contained HTML page of charts

Run calltrail <command> --help for a command's options.

Exit codes: 0 ok, 1 problems found (verify), 2 usage error or unreadable file.
`;

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  stats: statsCommand,
  tail: tailCommand,
  verify: verifyCommand,
  report: reportCommand,
};

/** Runs the command line `args` (without the program's name); returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const process = cliProcess();
  const [name, ...rest] = args;
  if (name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(MAIN_HELP);
    return 0;
  }
  const command = name !== undefined && Object.hasOwn(COMMANDS, name)
    ? COMMANDS[name]
    : undefined;
  try {
    if (command === undefined) {
      throw new UsageError(
        name === undefined
          ? "calltrail: name a command: stats, tail, verify or report."
          : `calltrail: no command ${
            JSON.stringify(name)
          }; the commands are stats, tail, verify and report.`,
      );
    }
    return await command(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      const help = error.command === undefined
        ? "calltrail --help"
        : `calltrail ${error.command} --help`;
      process.stderr.write(`${error.message}\nRun ${help} for usage.\n`);
      return 2;
    }
    if (error instanceof FileError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/**
 * Runs the process's command line and sets its exit code. Output to a pipe
 * that closes early (`calltrail tail log | head`) ends the process quietly.
 */
export async function run(): Promise<void> {
  const process = cliProcess();
  process.stdout.on("error", (error: { code?: string }) => {
    if (error?.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
  process.exitCode = await main(process.argv.slice(2));
}
