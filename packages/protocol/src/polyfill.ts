/**
 * Node 20 lacks `Promise.withResolvers`, which libp2p 3 calls on every stream.
 * Every entry point (CLI bin, node and client package entry, mocha setup)
 * imports this module first, so the method exists before libp2p loads.
 * Node 22+ has it natively and this module does nothing there.
 */
interface Resolvers<T> {
  promise: Promise<T>
  resolve: (value: T | PromiseLike<T>) => void
  reject: (reason?: unknown) => void
}

const promiseConstructor = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> }

if (typeof promiseConstructor.withResolvers !== 'function') {
  promiseConstructor.withResolvers = function withResolvers<T> (): Resolvers<T> {
    let resolve!: Resolvers<T>['resolve']
    let reject!: Resolvers<T>['reject']
    const promise = new Promise<T>((res, rej) => {
      resolve = res
      reject = rej
    })
    return { promise, resolve, reject }
  }
}

export {}
