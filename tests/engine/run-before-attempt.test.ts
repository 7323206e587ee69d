/**
 * How the stages run before an attempt: every `beforeAttempt` in order; then, while a stage
 * waited, every `lastLook` in order until none waits (what changed during a wait is seen by
 * every stage, the ones after it included, before the attempt starts).
 */
import { runBeforeAttempt } from '../../src/engine/call-stages';
import type { CallState, Stage } from '../../src/strategies/stage';

const call = {} as CallState;

/** A stage that logs its hooks; `waits` says which of its calls return a promise. */
function stage(name: string, log: string[], waits: { before?: boolean; looks?: number } = {}): Stage {
  let looks = waits.looks ?? 0;
  return {
    beforeAttempt: () => {
      log.push(`${name}.before`);
      return waits.before ? Promise.resolve() : undefined;
    },
    lastLook: () => {
      log.push(`${name}.look`);
      return looks-- > 0 ? Promise.resolve() : undefined;
    },
  };
}

describe('runBeforeAttempt', () => {
  it('with no stage waiting: only beforeAttempt, in order, no last look', async () => {
    const log: string[] = [];
    await runBeforeAttempt([stage('a', log), stage('b', log)], call);
    expect(log).toEqual(['a.before', 'b.before']);
  });

  it('after a wait: every stage looks again, in order, until a round with no wait', async () => {
    const log: string[] = [];
    await runBeforeAttempt(
      [stage('rate', log, { looks: 1 }), stage('bulkhead', log, { before: true }), stage('breaker', log)],
      call,
    );
    expect(log).toEqual([
      'rate.before',
      'bulkhead.before',
      'breaker.before',
      'rate.look',
      'bulkhead.look',
      'breaker.look', // after the rate limit's wait: the circuit is looked at again
      'rate.look',
      'bulkhead.look',
      'breaker.look',
    ]);
  });

  it('after a wait, every stage hands back what it holds once, before the first look', async () => {
    const log: string[] = [];
    const holder: Stage = { ...stage('breaker', log), handBack: () => void log.push('breaker.handBack') };
    await runBeforeAttempt([stage('rate', log, { looks: 1 }), stage('bulkhead', log, { before: true }), holder], call);
    expect(log.slice(0, 4)).toEqual(['rate.before', 'bulkhead.before', 'breaker.before', 'breaker.handBack']);
    expect(log.filter((entry) => entry === 'breaker.handBack')).toHaveLength(1);
  });

  it('without a wait nothing is handed back', async () => {
    const log: string[] = [];
    const holder: Stage = { ...stage('breaker', log), handBack: () => void log.push('breaker.handBack') };
    await runBeforeAttempt([stage('rate', log), holder], call);
    expect(log).toEqual(['rate.before', 'breaker.before']);
  });

  it("stops at a stage's refusal: later stages are not asked", async () => {
    const log: string[] = [];
    const refusal = new Error('refused');
    const refusing: Stage = {
      beforeAttempt: () => Promise.resolve(),
      lastLook: () => {
        log.push('refusing.look');
        throw refusal;
      },
    };
    await expect(runBeforeAttempt([refusing, stage('breaker', log)], call)).rejects.toBe(refusal);
    expect(log).toEqual(['breaker.before', 'refusing.look']);
  });
});
