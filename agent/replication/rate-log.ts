/** Warnings about peers' bad input, rate-limited so a hostile or broken peer cannot flood the log. */
import type { Logger } from 'pino'

export class RateLimitedLog {
  private windowStart = 0
  private count = 0
  private suppressed = 0

  constructor(
    private readonly log: Logger,
    private readonly perWindow: number,
    private readonly windowMs: number,
  ) {}

  warn(obj: object, msg: string): void {
    const now = Date.now()
    if (now - this.windowStart > this.windowMs) {
      if (this.suppressed > 0) this.log.warn({ suppressed: this.suppressed }, 'suppressed further warnings about bad peer input')
      this.windowStart = now
      this.count = 0
      this.suppressed = 0
    }
    if (this.count++ < this.perWindow) this.log.warn(obj, msg)
    else this.suppressed++
  }
}
