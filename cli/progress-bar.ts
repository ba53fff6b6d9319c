/** A progress bar that renders one line: label, bar, done/total, rate. */
export class ProgressBar {
  readonly #started = Date.now();

  render(done: number, total: number, label: string, unit: string, showRate = true): string {
    const width = 30;
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(fraction * width);
    const seconds = (Date.now() - this.#started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${unit}${showRate ? ` ${rate}/s` : ''}`;
  }

  /** Draws the single line on stderr (in place on a terminal, every 5 s elsewhere). */
  update(done: number, total: number, label: string, unit: string): void {
    this.#single.draw([this.render(done, total, label, unit)]);
  }

  finish(): void {
    this.#single.done();
  }

  readonly #single = new MultiLine();
}

/**
 * A block of status lines on stderr: redrawn in place on a terminal; elsewhere (CI, logs) printed
 * only when they change and at most every 5 seconds.
 */
export class MultiLine {
  readonly #tty = Boolean(process.stderr.isTTY);
  #drawn = 0;
  #lastLog = 0;
  #last = '';

  /** Whether the lines are redrawn in place (stderr is a terminal). */
  get isTty(): boolean {
    return this.#tty;
  }

  draw(lines: string[]): void {
    const text = lines.join('\n');
    if (this.#tty) {
      const up = this.#drawn > 0 ? `\x1b[${this.#drawn}F` : '';
      process.stderr.write(`${up}${lines.map((l) => `${l}\x1b[K`).join('\n')}\n`);
      this.#drawn = lines.length;
    } else if (text !== this.#last && Date.now() - this.#lastLog > 5000) {
      process.stderr.write(`${text}\n`);
      this.#lastLog = Date.now();
      this.#last = text;
    }
  }

  done(): void {
    this.#drawn = 0;
  }
}
