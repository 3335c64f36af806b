// Node 20 lacks Promise.withResolvers (Node 22 has it), which libp2p v3 calls at start-up. Loaded first by
// every entry point; on Node 22 and later it does nothing.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject
    const promise = new this((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
