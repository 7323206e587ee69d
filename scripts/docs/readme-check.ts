// Checks the README's hand-written tables (defaults, trace events) against the code, so that
// the README and docs/ cannot drift apart. Returns the problems as sentences.

import {
  API_KEY_ENV_VARS,
  DEFAULT_AZURE_API_VERSION,
  DEFAULT_LOG_LEVEL,
  LOG_LEVEL_ENV_VAR,
  RETRY_AFTER_JITTER_FRACTION,
  RETRY_DEFAULTS,
  envVarOf,
} from '../../src/config/defaults';
import { RETRY_CONFIG_FIELDS } from '../../src/config/retry-config';
import { CIRCUIT_BREAKER_DEFAULTS } from '../../src/strategies/circuit-breaker/circuit-breaker-options';
import { RETRY_BUDGET_DEFAULTS } from '../../src/strategies/retry-budget/retry-budget-options';
import { DEFAULT_BULKHEAD_QUEUE_LIMIT } from '../../src/strategies/bulkhead/bulkhead-options';
import { documentedDefaults } from './defaults-table';

/** The rows of the first table after `heading` (header and separator dropped), as cells. */
export function tableAfter(markdown: string, heading: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start === -1) return [];
  const rows: string[][] = [];
  let inTable = false;
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('#')) break;
    if (line.startsWith('|')) {
      inTable = true;
      rows.push(splitRow(line));
    } else if (inTable) {
      break;
    }
  }
  return rows.slice(2);
}

function splitRow(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

const stripTicks = (text: string) => text.replace(/`/g, '').trim();

/** The README's defaults table against RETRY_DEFAULTS, RETRY_ENV_VARS, the rules and the nested defaults. */
export function checkReadmeDefaults(readme: string): string[] {
  const rows = tableAfter(readme, '### Defaults');
  if (rows.length === 0) return ['README.md: no table under "### Defaults"'];
  const problems: string[] = [];
  const rowFor = (name: string) => rows.find((cells) => stripTicks(cells[0]) === name);
  const { topLevel } = documentedDefaults();

  for (const field of RETRY_CONFIG_FIELDS) {
    const row = rowFor(field);
    if (row === undefined) {
      problems.push(`README defaults table: no row for RetryConfig field ${field}`);
      continue;
    }
    const [, defaultCell, ruleCell, envCell] = row;
    const variable = envVarOf(field) ?? '';
    if (stripTicks(envCell) !== variable) {
      problems.push(
        `README defaults table: ${field} names variable ${envCell || '(none)'}, the code reads ${variable || '(none)'}`,
      );
    }
    const value = RETRY_DEFAULTS[field];
    if (typeof value === 'number' || typeof value === 'boolean') {
      if (stripTicks(defaultCell) !== String(value))
        problems.push(`README defaults table: ${field} default is ${defaultCell}, the code says ${value}`);
    } else if (typeof value === 'string') {
      if (stripTicks(defaultCell) !== `'${value}'`)
        problems.push(`README defaults table: ${field} default is ${defaultCell}, the code says '${value}'`);
    } else if (field.endsWith('TimeoutMs')) {
      if (defaultCell !== 'none')
        problems.push(`README defaults table: ${field} default is ${defaultCell}, the code has none`);
    }
    // A numeric range in the rule column must be the validator's.
    const rule = topLevel.find((option) => option.name === field)?.numberRule;
    const range = /(-?[\d.]+)\.\.(-?[\d.]+)/.exec(ruleCell);
    if (rule && range && (Number(range[1]) !== rule.min || Number(range[2]) !== rule.max)) {
      problems.push(
        `README defaults table: ${field} rule says ${range[0]}, the validator accepts ${rule.min}..${rule.max}`,
      );
    }
    const atMost = /<=\s*(\d+)/.exec(ruleCell);
    if (field === 'maxDelayMs' && atMost && Number(atMost[1]) !== 300_000) {
      problems.push(
        `README defaults table: maxDelayMs rule says <= ${atMost[1]}, the validator accepts at most 300000`,
      );
    }
  }

  const breaker = rowFor('circuitBreaker');
  if (breaker) {
    const text = breaker.slice(1).join(' ');
    const defaults: Record<string, number> = { ...CIRCUIT_BREAKER_DEFAULTS };
    for (const [, name, number] of text.matchAll(/`(\w+)`\s+(\d+)(?!\.\.)/g)) {
      if (name in defaults && defaults[name] !== Number(number)) {
        problems.push(
          `README defaults table: circuitBreaker.${name} default is ${number}, the code says ${defaults[name]}`,
        );
      }
    }
    for (const name of Object.keys(defaults)) {
      if (!text.includes(`\`${name}\``))
        problems.push(`README defaults table: circuitBreaker.${name} (default ${defaults[name]}) is not mentioned`);
    }
  }
  const budget = rowFor('retryBudget');
  if (budget) {
    const text = budget.slice(1).join(' ');
    for (const [name, value] of Object.entries(RETRY_BUDGET_DEFAULTS)) {
      const shown = new RegExp(`${name}:\\s*(\\d+)`).exec(text)?.[1];
      if (Number(shown) !== value)
        problems.push(
          `README defaults table: retryBudget.${name} default is ${shown ?? '(missing)'}, the code says ${value}`,
        );
    }
  }
  const bulkhead = rowFor('bulkhead');
  if (bulkhead) {
    const shown = /queueLimit \(default (\d+)\)/.exec(bulkhead.join(' '))?.[1];
    if (Number(shown) !== DEFAULT_BULKHEAD_QUEUE_LIMIT) {
      problems.push(
        `README defaults table: bulkhead queueLimit default is ${shown ?? '(missing)'}, the code says ${DEFAULT_BULKHEAD_QUEUE_LIMIT}`,
      );
    }
  }

  const spread = rows.find((cells) => cells[0].startsWith('Retry-After spread'));
  const percent = spread && /(\d+)%/.exec(spread[1])?.[1];
  if (Number(percent) !== RETRY_AFTER_JITTER_FRACTION * 100) {
    problems.push(
      `README defaults table: Retry-After spread is ${percent ?? '(missing)'}%, the code adds up to ${RETRY_AFTER_JITTER_FRACTION * 100}%`,
    );
  }
  const logLevel = rows.find((cells) => cells[0].startsWith('log level'));
  if (!logLevel || stripTicks(logLevel[1]) !== DEFAULT_LOG_LEVEL || stripTicks(logLevel[3]) !== LOG_LEVEL_ENV_VAR) {
    problems.push(
      `README defaults table: the default log level row should say ${DEFAULT_LOG_LEVEL} and ${LOG_LEVEL_ENV_VAR}`,
    );
  }
  const apiVersion = rows.find((cells) => cells[0].includes('AgentConfig.apiVersion'));
  if (!apiVersion || stripTicks(apiVersion[1]) !== DEFAULT_AZURE_API_VERSION) {
    problems.push(`README defaults table: AgentConfig.apiVersion should default to ${DEFAULT_AZURE_API_VERSION}`);
  }
  const apiKey = rows.find((cells) => cells[0].includes('AgentConfig.apiKey'));
  for (const variable of Object.values(API_KEY_ENV_VARS)) {
    if (!apiKey || !apiKey[3].includes(variable))
      problems.push(`README defaults table: AgentConfig.apiKey should name ${variable}`);
  }
  return problems;
}

/**
 * The README's trace-event table against the attributes recorded from real calls: every
 * event present, no attribute the code does not send, every attribute it always sends.
 */
export function checkReadmeEvents(readme: string, recorded: Map<string, string[]>): string[] {
  const rows = tableAfter(readme, '## Trace events');
  if (rows.length === 0) return ['README.md: no table under "## Trace events"'];
  const problems: string[] = [];
  const documented = new Map<string, string[]>();
  for (const [eventCell, detailsCell] of rows) {
    const events = eventCell.split(' / ').map(stripTicks);
    const details = detailsCell.split(' / ');
    events.forEach((event, index) => {
      const shape = details[Math.min(index, details.length - 1)] ?? '';
      documented.set(
        event,
        stripTicks(shape)
          .replace(/[{}]/g, '')
          .split(',')
          .map((name) => name.trim())
          .filter((name) => name !== ''),
      );
    });
  }
  for (const [event, attributes] of recorded) {
    const shown = documented.get(event);
    if (shown === undefined) {
      problems.push(`README trace events table: no row for ${event}`);
      continue;
    }
    const bare = (name: string) => name.replace(/\?$/, '');
    const sent = attributes.map(bare);
    for (const name of shown.map(bare)) {
      if (!sent.includes(name))
        problems.push(`README trace events table: ${event} lists ${name}, which the code never sends`);
    }
    for (const name of attributes.filter((a) => !a.endsWith('?'))) {
      if (!shown.map(bare).includes(name))
        problems.push(`README trace events table: ${event} does not list ${name}, which the code always sends`);
    }
  }
  for (const event of documented.keys()) {
    if (!recorded.has(event))
      problems.push(`README trace events table: ${event} is not an event of the code (TRACE_EVENTS)`);
  }
  return problems;
}
