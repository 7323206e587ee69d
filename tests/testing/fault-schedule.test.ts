import { FaultSchedule } from '../../src/testing/fault-schedule';
import { parseFaultSpecs } from '../../src/testing/fault-spec';
import { mulberry32 } from '../../src/testing/mulberry32';

const faults = (...specs: string[]) => parseFaultSpecs(specs, 'test');
const take = (schedule: FaultSchedule, n: number) => Array.from({ length: n }, () => schedule.next().spec);

describe('mulberry32', () => {
  test('same seed, same sequence; floats in [0, 1)', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const values = Array.from({ length: 1000 }, () => a());
    expect(values).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
    expect(mulberry32(8)()).not.toBe(values[0]);
  });

  test('known first value (the sequence must not change between releases)', () => {
    expect(mulberry32(1)()).toBeCloseTo(0.6270739405881613, 15);
  });
});

describe('FaultSchedule', () => {
  const base = { faultRate: 0, faults: faults('429'), seed: 1 };

  test('script entries in order, then ok', () => {
    expect(take(new FaultSchedule({ ...base, script: faults('429', '503', 'ok', 'reset') }), 6)).toEqual([
      '429',
      '503',
      'ok',
      'reset',
      'ok',
      'ok',
    ]);
  });

  test('setScript replaces the script and restarts it', () => {
    const schedule = new FaultSchedule({ ...base, script: faults('500', '502') });
    expect(take(schedule, 1)).toEqual(['500']);
    schedule.setScript(faults('401', '401'));
    expect(take(schedule, 3)).toEqual(['401', '401', 'ok']);
    schedule.setScript(faults('504'));
    expect(take(schedule, 2)).toEqual(['504', 'ok']);
  });

  test('random mode: repeatable per seed, about faultRate of requests, uniform over the list', () => {
    const options = { script: [], faultRate: 0.3, faults: faults('429', '500', '503', 'reset'), seed: 7 };
    const first = take(new FaultSchedule(options), 10_000);
    expect(take(new FaultSchedule(options), 10_000)).toEqual(first);
    expect(take(new FaultSchedule({ ...options, seed: 8 }), 100)).not.toEqual(first.slice(0, 100));
    const count = (spec: string) => first.filter((s) => s === spec).length;
    expect(1 - count('ok') / 10_000).toBeCloseTo(0.3, 1);
    for (const spec of ['429', '500', '503', 'reset']) expect(count(spec) / 10_000).toBeCloseTo(0.075, 1);
  });

  test('faultRate 0 is all ok, 1 is all faults', () => {
    expect(new Set(take(new FaultSchedule({ ...base, script: [] }), 100))).toEqual(new Set(['ok']));
    expect(new Set(take(new FaultSchedule({ ...base, script: [], faultRate: 1 }), 100))).toEqual(new Set(['429']));
  });

  test('the random sequence does not depend on the script length', () => {
    const options = { faultRate: 0.5, faults: faults('500', '503'), seed: 3 };
    const plain = take(new FaultSchedule({ ...options, script: [] }), 20);
    const scripted = take(new FaultSchedule({ ...options, script: faults('hang', 'hang') }), 22).slice(2);
    expect(scripted).toEqual(plain);
  });
});
