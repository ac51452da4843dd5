// Internal: the default `onError` of every sink: a short line on
// console.error, at most once a second, with a count of what it held back.

import { errorMessage } from "./_error_message.ts";

/** Makes a rate-limited reporter for one sink. */
export function rateLimitedConsoleReporter(): (error: unknown) => void {
  let last = -Infinity;
  let held = 0;
  return (error: unknown): void => {
    const now = Date.now();
    if (now - last < 1000) {
      held++;
      return;
    }
    last = now;
    const more = held > 0 ? ` (${held} more errors held back)` : "";
    held = 0;
    console.error(`${errorMessage(error)}${more}`);
  };
}
