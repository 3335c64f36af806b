/**
 * A Response whose body is already in memory, for the SharePoint transport. It offers what PnPjs's
 * parsers and error checks, PacedSend and the Retry-After reader use of a fetch Response (status, ok,
 * headers.get/has and iteration, text, json, arrayBuffer, blob, bytes, clone, and a body stream made on
 * demand). Building undici's own Response wraps every body in a web ReadableStream, which cost about as
 * much CPU as the HTTP exchange itself for the small JSON answers a migration gets by the thousand.
 */

/** Read-only headers over Node's rawHeaders ([name, value, name, value, ...]); names match case-insensitively. */
export class RawHeaders {
  constructor(private readonly raw: string[]) {}

  /** Every value of a header joined with ", " (as Headers.get does), or null. */
  get(name: string): string | null {
    const want = name.toLowerCase()
    let out: string | null = null
    for (let i = 0; i < this.raw.length; i += 2) {
      if (this.raw[i]!.toLowerCase() === want) out = out === null ? this.raw[i + 1]! : `${out}, ${this.raw[i + 1]}`
    }
    return out
  }

  has(name: string): boolean {
    const want = name.toLowerCase()
    for (let i = 0; i < this.raw.length; i += 2) if (this.raw[i]!.toLowerCase() === want) return true
    return false
  }

  getSetCookie(): string[] {
    const out: string[] = []
    for (let i = 0; i < this.raw.length; i += 2) if (this.raw[i]!.toLowerCase() === 'set-cookie') out.push(this.raw[i + 1]!)
    return out
  }

  /** Lower-case names, sorted, duplicates combined: what iterating a Headers yields. */
  *entries(): IterableIterator<[string, string]> {
    const names = [...new Set(this.raw.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase()))].sort()
    for (const n of names) yield [n, this.get(n)!]
  }

  keys(): IterableIterator<string> {
    return [...this.entries()].map(([k]) => k)[Symbol.iterator]()
  }

  values(): IterableIterator<string> {
    return [...this.entries()].map(([, v]) => v)[Symbol.iterator]()
  }

  forEach(fn: (value: string, name: string, parent: RawHeaders) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this)
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries()
  }
}

export class BufferedResponse {
  readonly type = 'basic'
  private used = false

  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly headers: RawHeaders,
    private readonly content: Buffer | null,
    readonly url: string,
    readonly redirected = false,
  ) {}

  get ok(): boolean {
    return this.status >= 200 && this.status <= 299
  }

  get bodyUsed(): boolean {
    return this.used
  }

  private stream: ReadableStream<Uint8Array> | null = null

  /** A stream of the body, made only when someone asks for one (PnPjs's getStream does; the destination does not). */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.content === null) return null
    this.stream ??= new Response(this.content as unknown as BodyInit).body
    return this.stream
  }

  private take(): Buffer {
    // as with fetch, a body is read once; clone() first to read it twice
    if (this.used) throw new TypeError('Body is unusable: Body has already been read')
    this.used = true
    return this.content ?? Buffer.alloc(0)
  }

  async text(): Promise<string> {
    return this.take().toString('utf8')
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.take().toString('utf8'))
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = this.take()
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.arrayBuffer())
  }

  async blob(): Promise<Blob> {
    return new Blob([await this.arrayBuffer()], { type: this.headers.get('content-type') ?? '' })
  }

  async formData(): Promise<never> {
    throw new TypeError('formData() is not supported for SharePoint answers')
  }

  clone(): BufferedResponse {
    if (this.used) throw new TypeError('Response.clone: Body has already been consumed.')
    return new BufferedResponse(this.status, this.statusText, this.headers, this.content, this.url, this.redirected)
  }
}
