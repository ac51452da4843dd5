// Internal: reports that may come often (a batch the destination refused, a
// request that will be tried again) reach onError at most once a second.
// What comes sooner is held, and told in one report when the second is up
// (or at flush()): how many, how much, and the last one. Nothing is dropped
// from the count.

import { unrefTimer } from "./_runtime.ts";

/** Makes the one report of what was held: `count` reports, weighing `weight`. */
export type Summarize = (count: number, weight: number, last: Error) => Error;

/** The least time between two reports, in milliseconds. */
const REPORT_EVERY_MS = 1000;

/** One kind of report, at most once a second. */
export class ThrottledReport {
  readonly #report: (error: Error) => void;
  readonly #summarize: Summarize;
  readonly #now: () => number;
  #next = -Infinity;
  #held = 0;
  #weight = 0;
  #last: Error | undefined = undefined;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;

  /**
   * @param report Where reports go.
   * @param summarize Makes the report of what was held.
   * @param now The clock, in milliseconds.
   */
  constructor(
    report: (error: Error) => void,
    summarize: Summarize,
    now: () => number = Date.now,
  ) {
    this.#report = report;
    this.#summarize = summarize;
    this.#now = now;
  }

  /** Reports `error` now if a second has passed, else holds it. */
  add(error: Error, weight = 1): void {
    const now = this.#now();
    if (this.#held === 0 && now >= this.#next) {
      this.#next = now + REPORT_EVERY_MS;
      return this.#report(error);
    }
    this.#held++;
    this.#weight += weight;
    this.#last = error;
    // The second is up, but no timer told what was held (there are none).
    if (now >= this.#next) return this.flush();
    if (this.#timer !== undefined) return;
    try {
      this.#timer = setTimeout(this.flush, this.#next - now);
      unrefTimer(this.#timer);
    } catch {
      // No timers here (a global scope on workerd): the next add() or
      // flush() tells what is held.
    }
  }

  /** Tells what is held now, if anything. */
  flush = (): void => {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const last = this.#last;
    if (last === undefined) return;
    const report = this.#held === 1
      ? last
      : this.#summarize(this.#held, this.#weight, last);
    this.#held = 0;
    this.#weight = 0;
    this.#last = undefined;
    this.#next = this.#now() + REPORT_EVERY_MS;
    this.#report(report);
  };
}
