import type { AnyFunction } from './any-function';

type ReflectWithMetadata = typeof Reflect & {
  getOwnMetadataKeys?(target: object): unknown[];
  getOwnMetadata?(key: unknown, target: object): unknown;
  defineMetadata?(key: unknown, value: unknown, target: object): void;
};

/**
 * Makes `wrapper` stand in for `original`: same `name` and `length`, and every
 * reflect-metadata key stored on the function itself (NestJS keeps route and handler
 * metadata there). Without reflect-metadata loaded there is no metadata to copy.
 */
export function copyFunctionIdentity(original: AnyFunction, wrapper: AnyFunction): void {
  Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
  const reflect = Reflect as ReflectWithMetadata;
  if (typeof reflect.getOwnMetadataKeys !== 'function' || typeof reflect.defineMetadata !== 'function') return;
  for (const key of reflect.getOwnMetadataKeys(original)) {
    reflect.defineMetadata(key, reflect.getOwnMetadata!(key, original), wrapper);
  }
}
