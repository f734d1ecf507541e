/**
 * Runs async tasks one at a time in arrival order. A Durable Object is single-threaded, but it
 * interleaves requests at every await (a provider fetch, a D1 write); turns on one call must not,
 * so each turn holds this queue from its first read to its last write.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    // A failed task must not poison the tasks queued behind it.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
