/**
 * Works around a crash in the private-network layer: @libp2p/pnet encrypts with the `xsalsa20` package,
 * whose WebAssembly memory is fixed at 10 pages (640 KiB) and cannot grow, so one `update()` with a
 * buffer larger than that (a big TCP read during a catch-up) throws inside an event handler and kills
 * the process. XSalsa20 is a stream cipher and the package keeps the partial-block state between calls,
 * so feeding it the same bytes in slices gives the same output. We patch its `update` once, process-wide.
 */
import { createRequire } from 'node:module'

const SLICE = 64 * 1024

interface XSalsa20Proto {
  update(input: Uint8Array, output?: Uint8Array): Uint8Array
  __mmeshChunked?: boolean
}

export function installPnetChunking(): void {
  // pnet resolves the same hoisted CommonJS module, so patching its prototype here reaches pnet's ciphers.
  const require = createRequire(import.meta.resolve('@libp2p/pnet'))
  const XSalsa20 = require('xsalsa20') as { prototype: XSalsa20Proto }
  const proto = XSalsa20.prototype
  if (proto.__mmeshChunked) return
  const original = proto.update
  proto.update = function (this: XSalsa20Proto, input: Uint8Array, output?: Uint8Array): Uint8Array {
    if (!input || input.length <= SLICE) return original.call(this, input, output)
    const out = output ?? new Uint8Array(input.length)
    for (let off = 0; off < input.length; off += SLICE) {
      const end = Math.min(off + SLICE, input.length)
      original.call(this, input.subarray(off, end), out.subarray(off, end))
    }
    return out
  }
  proto.__mmeshChunked = true
}
