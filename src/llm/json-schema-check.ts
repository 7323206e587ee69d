/**
 * A small structural JSON Schema check for model answers: `type` (incl. arrays of types and
 * `integer`), `enum`, `const`, `required`, `properties`, `additionalProperties: false`,
 * `items`, `minItems`/`maxItems`. Enough to catch a model that answered off-schema; not a
 * full validator (no `$ref`, formats or combinators, which are passed).
 *
 * Problems name positions and types only (`$[0].items[2]: expected number, got string`):
 * the property names in a path are the schema's (the developer wrote them); a property the
 * model invented is named by its position (`$.user: property #3 is not allowed ...`), and no
 * value the model produced is ever quoted, since it may repeat the prompt.
 */
export type JsonSchema = Record<string, unknown>;

const MAX_PROBLEMS = 20;

/**
 * The problems of `value` against `schema`, at most 20, each as `<path>: <what>` with the
 * path built from array positions and the schema's property names.
 */
export function checkJsonSchema(value: unknown, schema: JsonSchema, path = '$', problems: string[] = []): string[] {
  if (problems.length >= MAX_PROBLEMS || typeof schema !== 'object' || schema === null) return problems;
  const types = schema.type === undefined ? undefined : ([] as unknown[]).concat(schema.type);
  if (types && !types.some((type) => hasType(value, String(type)))) {
    problems.push(`${path}: expected ${types.join(' or ')}, got ${typeOf(value)}`);
    return problems;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => deepEqual(option, value))) {
    problems.push(`${path}: expected one of the schema's enum values, got another ${typeOf(value)}`);
  }
  if ('const' in schema && !deepEqual(schema.const, value)) {
    problems.push(`${path}: expected the schema's const, got another ${typeOf(value)}`);
  }
  if (isObject(value)) {
    const properties = isObject(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : {};
    for (const key of Array.isArray(schema.required) ? (schema.required as unknown[]) : []) {
      if (typeof key === 'string' && !hasOwn(value, key)) problems.push(`${path}.${key} is required`);
    }
    const keys = Object.keys(value);
    keys.forEach((key, index) => {
      // `key` is the model's: it is used in a path only when the schema names it too.
      if (hasOwn(properties, key)) checkJsonSchema(value[key], properties[key], `${path}.${key}`, problems);
      else if (schema.additionalProperties === false) {
        problems.push(
          `${path}: property #${index + 1} of ${keys.length} is not allowed (not in the schema's properties)`,
        );
      }
    });
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) {
      problems.push(`${path}: expected at least ${schema.minItems} items, got ${value.length}`);
    }
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) {
      problems.push(`${path}: expected at most ${schema.maxItems} items, got ${value.length}`);
    }
    if (isObject(schema.items)) {
      value.forEach((item, index) => checkJsonSchema(item, schema.items as JsonSchema, `${path}[${index}]`, problems));
    }
  }
  return problems.slice(0, MAX_PROBLEMS);
}

/** The JSON type of a value, as a schema would name it (never the value itself). */
function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    default:
      return typeof value === type;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
