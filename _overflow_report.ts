// Internal: tells onError that a full queue drops events, at most once a
// second, with the true number dropped since the last report. A drop must
// stay cheap under overload: it counts, and reads the clock only when a
// report may be due (at the first drop after a batch settled, or once every
// 1,024 drops while none settles).

import { overflowed } from "./_sink_errors.ts";

/** The least time between two reports, in milliseconds. */
const REPORT_EVERY_MS = 1000;
/** While no batch settles, look at the clock once per this many drops. */
const RECHECK_DROPS = 1024;

/**
 * Whether a drop may lead to a report: yes; one is already planned for the
 * end of the current job; or not until a batch settles (or 1,024 more
 * drops), as one was made less than a second ago.
 */
type ReportState = "ready" | "planned" | "resting";

/** The overflow reports of one sink. */
export class OverflowReport {
  readonly #capacity: number;
  readonly #report: (error: Error) => void;
  readonly #now: () => number;
  #state: ReportState = "ready";
  #dropped = 0;
  #reported = 0;
  #next = 0;

  /**
   * @param capacity The queue's capacity, for the message.
   * @param report Where reports go.
   * @param now The clock, in milliseconds.
   */
  constructor(
    capacity: number,
    report: (error: Error) => void,
    now: () => number = Date.now,
  ) {
    this.#capacity = capacity;
    this.#report = report;
    this.#now = now;
  }

  /** One event was dropped because the queue is full. */
  drop(): void {
    const dropped = ++this.#dropped;
    if (
      this.#state === "ready" ||
      (this.#state === "resting" && dropped % RECHECK_DROPS === 0)
    ) {
      this.#state = "planned";
      // At the end of the current job, so the report counts the whole burst.
      queueMicrotask(this.#due);
    }
  }

  /** A batch settled: the next drop may report again. */
  rearm(): void {
    if (this.#state === "resting") this.#state = "ready";
  }

  #due = (): void => {
    this.#state = "resting";
    const now = this.#now();
    if (now < this.#next) return;
    this.#next = now + REPORT_EVERY_MS;
    const since = this.#dropped - this.#reported;
    this.#reported = this.#dropped;
    this.#report(overflowed(this.#capacity, since, this.#dropped));
  };
}
