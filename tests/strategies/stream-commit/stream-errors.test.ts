import { inspect } from 'node:util';
import {
  isStreamEventError,
  isStreamInterruptedError,
  isStreamTimeoutError,
  StreamEventError,
  StreamInterruptedError,
  StreamTimeoutError,
} from '../../../src';

const interruption = { itemsReceived: 2, partialText: 'secret answer', kind: 'network' as const };

describe('StreamInterruptedError', () => {
  it.each<[number, string | undefined, string]>([
    [2, 'Chat.stream', 'The stream of Chat.stream broke after 2 items (network)'],
    [1, 'Chat.stream', 'The stream of Chat.stream broke after 1 item (network)'],
    [0, undefined, 'The stream broke after 0 items (network)'],
  ])('%i items, method %p: %s', (itemsReceived, method, message) => {
    const error = new StreamInterruptedError({ ...interruption, itemsReceived }, new Error('cut'), method);
    expect(error.message).toBe(message);
    expect(error.name).toBe('StreamInterruptedError');
    expect(error.deliveredChunks).toBe(itemsReceived);
  });

  it('keeps the response and position only when it has them', () => {
    const without = new StreamInterruptedError(interruption, undefined);
    expect(without.responseId).toBeUndefined();
    expect(without.sequenceNumber).toBeUndefined();
    const withThem = new StreamInterruptedError(
      { ...interruption, responseId: 'resp_1', sequenceNumber: 0 },
      undefined,
    );
    expect(withThem).toMatchObject({ responseId: 'resp_1', sequenceNumber: 0 });
  });

  it('never prints the text received', () => {
    const error = new StreamInterruptedError(interruption, new Error('cut'), 'Chat.stream');
    expect(error.partialText).toBe('secret answer');
    expect(inspect(error, { showHidden: true, depth: 5 })).not.toContain('secret');
    expect(JSON.stringify(error)).not.toContain('secret');
    expect(String(error)).not.toContain('secret');
    expect(isStreamInterruptedError(error)).toBe(true);
    expect(isStreamInterruptedError(new Error('x'))).toBe(false);
  });
});

describe('StreamTimeoutError', () => {
  it.each<['first_item' | 'idle', string]>([
    ['first_item', 'Chat.stream: no content within its first-item timeout of 500 ms'],
    ['idle', 'Chat.stream: the stream was idle for its idle timeout of 500 ms'],
  ])('%s: %s', (phase, message) => {
    const error = new StreamTimeoutError('Chat.stream', phase, 500);
    expect(error).toMatchObject({ message, name: 'StreamTimeoutError', phase, timeoutMs: 500, method: 'Chat.stream' });
    expect(isStreamTimeoutError(error)).toBe(true);
  });
});

describe('StreamEventError', () => {
  it('without a code: says the event only, and has no code', () => {
    const error = new StreamEventError('response.failed');
    expect(error.message).toBe('The stream reported response.failed');
    expect(error.name).toBe('StreamEventError');
    expect(error.code).toBeUndefined();
    expect(isStreamEventError(error)).toBe(true);
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>, string[]]>([
    [
      'a plain id and sequence number',
      { responseId: 'resp_1', sequenceNumber: 7 },
      { responseId: 'resp_1', sequenceNumber: 7 },
      [],
    ],
    ['an id with text around it', { responseId: 'see resp_1' }, {}, ['responseId']],
    ['an id with a newline after it', { responseId: 'resp_1\nmore' }, {}, ['responseId']],
    ['a fractional sequence number', { sequenceNumber: 1.5 }, {}, ['sequenceNumber']],
    ['a sequence number as text', { sequenceNumber: '7' }, {}, ['sequenceNumber']],
  ])('keeps %s only when plain', (_name, details, kept, dropped) => {
    const error = new StreamEventError('error', details);
    expect(error).toMatchObject(kept);
    for (const field of dropped) expect((error as unknown as Record<string, unknown>)[field]).toBeUndefined();
  });
});
