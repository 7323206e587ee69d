/**
 * A plausible value for a JSON schema, so a client that asked for
 * `response_format: { type: 'json_schema' }` gets content it can `JSON.parse` and, for
 * the usual structured-output schemas, validate: every declared property is present
 * (strict mode requires all of them), with a value of its type.
 *
 * string -> 'example', number/integer -> 1, boolean -> true, null -> null, array -> [],
 * object -> its properties filled in (or {}), enum/const -> the first allowed value,
 * anyOf/oneOf/allOf -> the first branch. `$ref` is not followed (-> {}): the goal is
 * parseable JSON, not a schema engine.
 */
export function exampleFromSchema(schema: unknown, depth = 0): unknown {
  // Recursive schemas ($defs through anyOf, or deeply nested objects) must still end.
  if (depth > 8 || typeof schema !== 'object' || schema === null) return {};
  const s = schema as Record<string, unknown>;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const branches = s[key];
    if (Array.isArray(branches) && branches.length > 0) return exampleFromSchema(branches[0], depth + 1);
  }
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== 'null') ?? s.type[0]) : s.type;
  switch (type) {
    case 'string':
      return 'example';
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array':
      return [];
    default:
      return exampleObject(s.properties, depth);
  }
}

function exampleObject(properties: unknown, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof properties !== 'object' || properties === null) return out;
  for (const [name, propertySchema] of Object.entries(properties)) {
    out[name] = exampleFromSchema(propertySchema, depth + 1);
  }
  return out;
}
