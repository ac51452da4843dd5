// Internal: the CLI's argument parsing (node:util parseArgs), its usage
// errors, and the help every command has.

import { errorMessage } from "../_error_message.ts";
import { cliUtil } from "./_node.ts";

/** A wrong command line: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  /** The command whose `--help` to point to, if any. */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

/** The options of one command, without `--help`, which every command has. */
export type Options = NonNullable<
  NonNullable<Parameters<typeof import("node:util").parseArgs>[0]>["options"]
>;

/** What parsing gave: the options' values and the positional arguments. */
export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/**
 * Parses `args` for `command`. Returns `undefined` when `--help` (or `-h`)
 * was given: the caller then prints its help and exits 0.
 */
export function parse(
  command: string,
  args: string[],
  options: Options,
): Parsed | undefined {
  let parsed: Parsed;
  try {
    parsed = cliUtil().parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    }) as Parsed;
  } catch (error) {
    throw new UsageError(
      `calltrail ${command}: ${errorMessage(error)}`,
      command,
    );
  }
  return parsed.values.help === true ? undefined : parsed;
}

/** The files named on the command line; at least one. */
export function files(command: string, parsed: Parsed): string[] {
  if (parsed.positionals.length === 0) {
    throw new UsageError(`calltrail ${command}: name a log file.`, command);
  }
  return parsed.positionals;
}

/** An option's value as an integer >= 0. */
export function count(
  command: string,
  name: string,
  value: string | undefined,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new UsageError(
      `calltrail ${command}: ${name} takes a whole number, not ${
        JSON.stringify(value)
      }.`,
      command,
    );
  }
  return n;
}
