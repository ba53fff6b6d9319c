import { describe, expect, it } from 'vitest';
import { parseTrainerLine, TextTail } from '../../lib/trainer/trainer-events.ts';

describe('parseTrainerLine', () => {
  it('reads the contract events', () => {
    expect(
      parseTrainerLine('{"event": "checkpoint", "path": "/o/step-1.pt", "step": 1}\n'),
    ).toEqual({ event: 'checkpoint', path: '/o/step-1.pt', step: 1 });
    expect(parseTrainerLine('{"event":"error","kind":"config","message":"bad"}')).toMatchObject({
      kind: 'config',
    });
  });

  it('ignores other output: plain text, other JSON, events missing their fields', () => {
    expect(parseTrainerLine('Epoch 1 ...')).toBeUndefined();
    expect(parseTrainerLine('{"event": "progress"')).toBeUndefined();
    expect(parseTrainerLine('{"level": "info"}')).toBeUndefined();
    expect(parseTrainerLine('{"event": "progress", "step": 3}')).toBeUndefined();
    expect(parseTrainerLine('{"event": "reboot", "step": 3}')).toBeUndefined();
  });
});

describe('TextTail', () => {
  it('keeps the last bytes, starting at a line boundary', () => {
    const tail = new TextTail(12);
    tail.push('first line\nsecond\n');
    tail.push('third\n');
    expect(tail.toString()).toBe('third\n');
    const short = new TextTail(100);
    short.push('a\nb\n');
    expect(short.toString()).toBe('a\nb\n');
  });
});
