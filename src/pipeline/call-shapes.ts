/**
 * An async generator that fails with `error` on its first `next()`: what a stream reports a
 * problem found before it could start (a configuration error), as a generator function would.
 */
// eslint-disable-next-line require-yield -- it fails before yielding anything, by design
export async function* failedStream<T>(error: unknown): AsyncGenerator<T> {
  throw error;
}
