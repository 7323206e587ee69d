/**
 * A small structural JSON Schema check for model answers: `type` (incl. arrays of types and
 * `integer`), `enum`, `const`, `required`, `properties`, `additionalProperties: false`,
 * `items`, `minItems`/`maxItems`. It reports paths and expected types, never values. Enough
 * to catch a model that answered off-schema; not a full validator (no `$ref`, formats or
 * combinators, which are passed).
 */
export type JsonSchema = Record<string, unknown>;

export function checkJsonSchema(value: unknown, schema: JsonSchema, path = '$', problems: string[] = []): string[] {
  if (problems.length >= 20 || typeof schema !== 'object' || schema === null) return problems;
  const types = schema.type === undefined ? undefined : ([] as unknown[]).concat(schema.type);
  if (types && !types.some((type) => hasType(value, String(type)))) {
    problems.push(`${path} must be ${types.join(' or ')}`);
    return problems;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => deepEqual(option, value))) {
    problems.push(`${path} must be one of the schema's enum values`);
  }
  if ('const' in schema && !deepEqual(schema.const, value)) problems.push(`${path} must equal the schema's const`);
  if (isObject(value)) {
    const properties = isObject(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : {};
    for (const key of Array.isArray(schema.required) ? (schema.required as string[]) : []) {
      if (!(key in value)) problems.push(`${path}.${key} is required`);
    }
    for (const [key, child] of Object.entries(value)) {
      if (key in properties) checkJsonSchema(child, properties[key], `${path}.${key}`, problems);
      else if (schema.additionalProperties === false) problems.push(`${path}.${key} is not allowed`);
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) {
      problems.push(`${path} must have at least ${schema.minItems} items`);
    }
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) {
      problems.push(`${path} must have at most ${schema.maxItems} items`);
    }
    if (isObject(schema.items)) {
      value.forEach((item, index) => checkJsonSchema(item, schema.items as JsonSchema, `${path}[${index}]`, problems));
    }
  }
  return problems;
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
