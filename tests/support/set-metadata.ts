import 'reflect-metadata';

/**
 * A NestJS `@SetMetadata`-style decorator that works in both decorator modes: it stores
 * metadata on the method function itself, as Nest does.
 */
export function setMetadata(key: string, value: unknown) {
  return function (target: any, keyOrContext: any, descriptor?: PropertyDescriptor): any {
    const fn = typeof keyOrContext === 'object' ? target : descriptor!.value;
    Reflect.defineMetadata(key, value, fn);
    return typeof keyOrContext === 'object' ? fn : descriptor;
  } as any;
}
