/** The JSON lines a trainer prints on stdout (the trainer contract, DESIGN.md "Training"). */
export type TrainerEvent =
  | { event: 'start'; step: number; resumedFrom: string | null; count: number; parameters: number }
  | {
      event: 'progress';
      epoch: number;
      step: number;
      steps: number;
      loss: number;
      imagesPerSecond?: number;
    }
  | { event: 'checkpoint'; step: number; path: string }
  | {
      event: 'done';
      files: { onnx: string; card: string };
      metrics: Record<string, number | null>;
    }
  | { event: 'error'; kind: 'config' | 'crash'; message: string };

const REQUIRED: Record<TrainerEvent['event'], readonly string[]> = {
  start: ['step'],
  progress: ['step', 'loss'],
  checkpoint: ['step', 'path'],
  done: ['files'],
  error: ['message'],
};

/**
 * Reads one stdout line: a trainer event, or undefined for anything else (a library printing to
 * stdout is not an error, but its line is not an event either).
 */
export function parseTrainerLine(line: string): TrainerEvent | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const kind = record.event;
  if (typeof kind !== 'string' || !(kind in REQUIRED)) return undefined;
  if (REQUIRED[kind as TrainerEvent['event']].some((key) => !(key in record))) return undefined;
  return record as unknown as TrainerEvent;
}

/** Keeps the last `maxBytes` of a stream's text, cut at a line start: what an error report shows. */
export class TextTail {
  #text = '';
  constructor(readonly maxBytes = 4000) {}

  push(chunk: string): void {
    this.#text += chunk;
    if (this.#text.length > 2 * this.maxBytes) this.#trim();
  }

  toString(): string {
    this.#trim();
    return this.#text;
  }

  #trim(): void {
    if (this.#text.length <= this.maxBytes) return;
    const cut = this.#text.slice(-this.maxBytes);
    const newline = cut.indexOf('\n');
    this.#text = newline >= 0 && newline < cut.length - 1 ? cut.slice(newline + 1) : cut;
  }
}
