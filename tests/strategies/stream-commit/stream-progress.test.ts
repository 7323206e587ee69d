import { OPENAI_STREAM_ITEMS } from '../../../src/strategies/stream-commit/openai-stream-items';
import { StreamProgress } from '../../../src/strategies/stream-commit/stream-progress';
import { FIRST_ITEM_COMMITS } from '../../../src/strategies/stream-commit/stream-items';

const created = { type: 'response.created', response: { id: 'resp_1' }, sequence_number: 0 };
const progressed = { type: 'response.in_progress', sequence_number: 1 };
const delta = (text: string, sequence_number: number) => ({
  type: 'response.output_text.delta',
  delta: text,
  sequence_number,
});

describe('StreamProgress', () => {
  it('holds items until the commit, then hands them over with it (the same objects, in order)', () => {
    const progress = new StreamProgress(OPENAI_STREAM_ITEMS);
    expect(progress.accept(created)).toEqual([]);
    expect(progress.accept(progressed)).toEqual([]);
    const first = delta('Hi', 2);
    const out = progress.accept(first);
    expect(out).toHaveLength(3);
    expect(out[0]).toBe(created);
    expect(out[2]).toBe(first);
    expect(progress.committed).toBe(true);
    expect(progress.accept(delta('!', 3))).toEqual([delta('!', 3)]);
  });

  it('a failed attempt drops what it held; a stream with no content hands its held items over at the end', () => {
    const progress = new StreamProgress(OPENAI_STREAM_ITEMS);
    progress.accept(created);
    progress.discardHeld();
    expect(progress.flush()).toEqual([]);
    progress.accept(progressed);
    expect(progress.flush()).toStrictEqual([progressed]);
    expect(progress.flush()).toStrictEqual([]);
  });

  it('counts what the caller received, its text, response and last sequence number', () => {
    const progress = new StreamProgress(OPENAI_STREAM_ITEMS);
    for (const item of [created, delta('Hel', 1), delta('lo', 2)]) progress.delivered(item);
    expect(progress.interruption('network')).toEqual({
      itemsReceived: 3,
      partialText: 'Hello',
      responseId: 'resp_1',
      sequenceNumber: 2,
      kind: 'network',
    });
    expect(progress.position()).toEqual({ responseId: 'resp_1', sequenceNumber: 2 });
    expect(progress.alreadyReceived(delta('lo', 2))).toBe(true);
    expect(progress.alreadyReceived(delta('!', 3))).toBe(false);
  });

  it('after the commit every item goes straight to the caller, content or not', () => {
    const progress = new StreamProgress(OPENAI_STREAM_ITEMS);
    progress.accept(delta('Hi', 2));
    const completed = { type: 'response.completed', sequence_number: 3 };
    expect(progress.accept(completed)).toStrictEqual([completed]);
    expect(progress.flush()).toStrictEqual([]);
  });

  it('an item without a sequence number keeps the last one', () => {
    const progress = new StreamProgress(OPENAI_STREAM_ITEMS);
    progress.delivered(created);
    progress.delivered(delta('a', 4));
    progress.delivered('text');
    expect(progress.position()).toEqual({ responseId: 'resp_1', sequenceNumber: 4 });
  });

  it('has no position without a response id (nothing to resume)', () => {
    const progress = new StreamProgress(FIRST_ITEM_COMMITS);
    progress.delivered('a');
    expect(progress.position()).toBeUndefined();
    expect(progress.interruption('server')).toMatchObject({ itemsReceived: 1, partialText: 'a' });
  });

  it('a commit rule given replaces the rules’ own', () => {
    const progress = new StreamProgress(OPENAI_STREAM_ITEMS, (item) => item === created);
    expect(progress.accept(created)).toEqual([created]);
  });
});
