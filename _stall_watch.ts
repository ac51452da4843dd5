// Internal: how `close()` tells a slow destination from a stalled one. It
// waits for a piece of work (the queue's drain, the destination's close) as
// long as the destination makes progress, and gives up once nothing has
// settled for `closeTimeout` milliseconds.

/** The longest delay setTimeout takes; a longer timeout waits for ever. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Watches for progress while `close()` waits. */
export class StallWatch {
  readonly #timeout: number;
  /** Re-arms the running watch's timer; set while a watch runs. */
  #rearm: (() => void) | undefined = undefined;

  /**
   * @param timeout How long, in milliseconds, no progress means a stall.
   * Above about 24.8 days (setTimeout's limit), it waits for ever.
   */
  constructor(timeout: number) {
    this.#timeout = timeout;
  }

  /** Something settled (a batch was written or failed): not stalled. */
  progress(): void {
    this.#rearm?.();
  }

  /**
   * Waits for `work`, as long as there is progress.
   *
   * @returns A promise of `true` when `work` settles, or `false` when there
   * was no progress for the timeout first. A rejection of `work` passes
   * through.
   */
  watch(work: void | Promise<void>): Promise<boolean> {
    const done = Promise.resolve(work).then(() => true);
    const ms = this.#timeout;
    if (ms > MAX_TIMER_MS) return done;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = (): void => {
      clearTimeout(timer);
      this.#rearm = undefined;
    };
    const stalled = new Promise<boolean>((resolve) => {
      const arm = (): void => {
        clearTimeout(timer);
        try {
          timer = setTimeout(() => {
            stop();
            resolve(false);
          }, ms);
        } catch {
          // No timers here (a global scope on workerd): wait for ever.
        }
      };
      this.#rearm = arm;
      arm();
    });
    done.then(stop, stop);
    return Promise.race([done, stalled]);
  }
}
