// Counting a Stryker JSON report (mutation-testing-report-schema), for run.mjs and summary.mjs.

/** Killed, survived, no coverage and timed out mutants, and the score; compile errors and ignored ones left out. */
export function count(mutants) {
  const c = { killed: 0, survived: 0, noCoverage: 0, timeout: 0 };
  for (const { status } of mutants) {
    if (status === 'Killed') c.killed += 1;
    else if (status === 'Survived') c.survived += 1;
    else if (status === 'NoCoverage') c.noCoverage += 1;
    else if (status === 'Timeout') c.timeout += 1;
  }
  c.total = c.killed + c.survived + c.noCoverage + c.timeout;
  c.score = c.total === 0 ? 'n/a' : ((100 * (c.killed + c.timeout)) / c.total).toFixed(1);
  return c;
}
