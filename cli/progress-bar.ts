/** A one-line progress bar on stderr that redraws in place on a terminal and logs sparsely elsewhere. */
export class ProgressBar {
  #lastLog = 0;
  readonly #tty = Boolean(process.stderr.isTTY);
  readonly #started = Date.now();

  update(done: number, total: number, label: string, unit: string): void {
    const width = 30;
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(fraction * width);
    const seconds = (Date.now() - this.#started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    const line = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${unit} ${rate} ${unit}/s`;
    if (this.#tty) {
      process.stderr.write(`\r${line}\x1b[K`);
    } else if (Date.now() - this.#lastLog > 5000 || done === total) {
      process.stderr.write(`${line}\n`);
      this.#lastLog = Date.now();
    }
  }

  finish(): void {
    if (this.#tty) process.stderr.write('\n');
  }
}
