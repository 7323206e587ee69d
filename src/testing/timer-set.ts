/**
 * Timers the server owns (slow replies, stream pacing, cuts), kept so `close()` can
 * clear every one: a pending timer would keep the process (and jest) alive after the
 * server is gone.
 */
export class TimerSet {
  private readonly timeouts = new Set<NodeJS.Timeout>();
  private readonly immediates = new Set<NodeJS.Immediate>();
  private cleared = false;

  timeout(ms: number, callback: () => void): () => void {
    if (this.cleared) return () => undefined;
    const handle = setTimeout(() => {
      this.timeouts.delete(handle);
      callback();
    }, ms);
    this.timeouts.add(handle);
    return () => {
      clearTimeout(handle);
      this.timeouts.delete(handle);
    };
  }

  immediate(callback: () => void): void {
    if (this.cleared) return;
    const handle = setImmediate(() => {
      this.immediates.delete(handle);
      callback();
    });
    this.immediates.add(handle);
  }

  /** Clears everything pending; later calls schedule nothing. */
  clearAll(): void {
    this.cleared = true;
    for (const handle of this.timeouts) clearTimeout(handle);
    for (const handle of this.immediates) clearImmediate(handle);
    this.timeouts.clear();
    this.immediates.clear();
  }
}
