import { FailureWindow } from '../../../src/strategies/circuit-breaker/failure-window';

describe('FailureWindow', () => {
  it('counts failures and totals inside the window', () => {
    const window = new FailureWindow(1000); // 10 buckets of 100 ms
    window.record(0, true);
    window.record(50, false);
    window.record(950, true);
    expect(window.count(999)).toEqual({ failures: 2, total: 3 });
  });

  it.each<[number, { failures: number; total: number }]>([
    [999, { failures: 1, total: 2 }],
    [1000, { failures: 0, total: 1 }], // the bucket of 0..99 ms has slid out
    [1099, { failures: 0, total: 1 }],
    [1100, { failures: 0, total: 0 }], // and so has the one of 100..199 ms
  ])('at %i ms sees %p', (now, expected) => {
    const window = new FailureWindow(1000);
    window.record(10, true);
    window.record(150, false);
    expect(window.count(now)).toEqual(expected);
  });

  it('clears a reused bucket before counting into it', () => {
    const window = new FailureWindow(1000);
    window.record(0, true);
    window.record(1000, false); // same ring slot, ten buckets later
    expect(window.count(1000)).toEqual({ failures: 0, total: 1 });
  });

  it('ignores outcomes "from the future" when the clock steps back, and a non-finite clock', () => {
    const window = new FailureWindow(1000);
    window.record(5000, true);
    window.record(NaN, true);
    expect(window.count(4000)).toEqual({ failures: 0, total: 0 });
    expect(window.count(5000)).toEqual({ failures: 1, total: 1 });
  });

  it('works with negative clock values', () => {
    const window = new FailureWindow(1000);
    window.record(-250, true);
    expect(window.count(-200)).toEqual({ failures: 1, total: 1 });
  });

  it('forgets everything on reset', () => {
    const window = new FailureWindow(1000);
    window.record(0, true);
    window.reset();
    expect(window.count(0)).toEqual({ failures: 0, total: 0 });
  });
});
