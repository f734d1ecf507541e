/**
 * The one piece of node:async_hooks this Worker uses (workerd provides it under nodejs_compat);
 * declared here rather than pulling @types/node, whose globals clash with the Workers types.
 */
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    getStore(): T | undefined;
    run<R>(store: T, fn: () => R): R;
  }
}
