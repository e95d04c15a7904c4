// The page's runner of long jobs (evaluation now; fine-tuning, pruning and
// quantization as stages arrive). One job runs at a time. The runner owns
// the busy state, the Cancel button, the progress bar and its text, and
// the screen-reader announcements: a job's start and end are spoken
// through a polite live region; its progress is on the progress bar, read
// when asked, not spoken at every tick.
//
// A job is a function of a JobContext. It reports job.Progress-shaped
// values ({stage, done, total, elapsedNs, figures, message}, as Go's
// core/job sends them through the workers) or its own text, and checks
// ctx.cancelled (or listens to ctx.onCancel) to stop:
//
//   const result = await runner.run({
//     start: 'Evaluation started on 1,000 images.',
//     work: (ctx) => runEvaluation({ ..., token: ctx, onProgress: (d, t) => ctx.report({ done: d, total: t }) }),
//     end: (result, { cancelled, failed }) => cancelled ? 'Evaluation cancelled.' : 'Evaluation done.',
//   });

export class JobRunner {
  /**
   * @param {object} o
   * @param {HTMLProgressElement} o.progress the progress bar
   * @param {HTMLElement} o.text the line beside it (counts, rate, ETA)
   * @param {HTMLButtonElement} o.cancel the Cancel button
   * @param {HTMLElement} o.live the polite live region
   * @param {() => void} [o.onChange] called when the runner becomes busy or idle
   */
  constructor({ progress, text, cancel, live, onChange }) {
    Object.assign(this, { live, onChange });
    this.defaultUI = { progress, text, cancel };
    this.wired = new WeakSet();
    this.current = null;
    this.idle = Promise.resolve();
  }

  /** busy is true while a job runs. */
  get busy() { return this.current !== null; }

  /** announce speaks text through the live region. */
  announce(text) { this.live.textContent = text; }

  /**
   * run runs one job; it throws when a job is already running. What the
   * job throws is rethrown after the runner has gone idle (and `end` has
   * been announced), so the caller's error handling shows it.
   * @param {object} o
   * @param {string} o.start announced when the job starts
   * @param {(ctx: JobContext) => Promise<any>} o.work the job
   * @param {(result: any, how: {cancelled: boolean, failed: boolean}) => string} o.end the announcement at the end
   * @param {string} [o.unit] what done/total count ("images", "steps"), for the bar's spoken value
   * @param {{progress, text, cancel}} [o.ui] the stage's own bar, line and Cancel button (default: the constructor's)
   */
  async run({ start, work, end, unit = '', ui = this.defaultUI }) {
    if (this.current) throw new Error('another job is running');
    this.progressEl = ui.progress;
    this.textEl = ui.text;
    this.cancelEl = ui.cancel;
    if (!this.wired.has(ui.cancel)) {
      ui.cancel.addEventListener('click', () => this.cancel());
      this.wired.add(ui.cancel);
    }
    const ctx = new JobContext(this, unit);
    this.current = ctx;
    let ended;
    this.idle = new Promise((resolve) => { ended = resolve; });
    this.cancelEl.hidden = false;
    this.progressEl.hidden = false;
    this.progressEl.value = 0;
    this.progressEl.removeAttribute('aria-valuetext');
    this.textEl.textContent = 'Starting…';
    this.announce(start);
    this.onChange?.();
    let result;
    let failure = null;
    try {
      result = await work(ctx);
    } catch (err) {
      failure = err;
    }
    const cancelled = ctx.cancelled;
    if (cancelled) this.textEl.textContent = 'Cancelled.';
    else if (failure) this.textEl.textContent = 'Stopped: see the message above.';
    this.announce(end(result, { cancelled, failed: !!failure && !cancelled }));
    this.current = null;
    this.cancelEl.hidden = true;
    this.progressEl.hidden = true;
    ended();
    this.onChange?.();
    if (failure && !cancelled) throw failure;
    return result;
  }

  /** cancel asks the running job to stop. */
  cancel() {
    const ctx = this.current;
    if (!ctx || ctx.cancelled) return;
    ctx.cancelled = true;
    this.textEl.textContent = 'Cancelling…';
    for (const fn of ctx.cancelHandlers) fn();
  }
}

/** JobContext is what a running job sees of its runner. */
export class JobContext {
  constructor(runner, unit) {
    this.runner = runner;
    this.unit = unit;
    this.cancelled = false;
    this.cancelHandlers = [];
  }

  /** onCancel registers fn to run when the user cancels (e.g. pool.cancelAll). */
  onCancel(fn) { this.cancelHandlers.push(fn); }

  /**
   * report shows progress: a job.Progress ({done, total, message, ...});
   * text replaces the line beside the bar. total <= 0 (unknown) shows a
   * bar without a value.
   */
  report(p, text) {
    if (this.cancelled) return;
    const r = this.runner;
    if (p.total > 0) {
      r.progressEl.value = Math.min(1, p.done / p.total);
      const unit = this.unit ? ` ${this.unit}` : '';
      r.progressEl.setAttribute('aria-valuetext', `${p.done.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')}${unit}`);
    } else {
      r.progressEl.removeAttribute('value');
    }
    if (text !== undefined) r.textEl.textContent = text;
    else if (p.message) r.textEl.textContent = p.message;
  }

  /** say sets the line beside the bar. */
  say(text) { if (!this.cancelled) this.runner.textEl.textContent = text; }
}
