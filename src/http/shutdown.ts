import type { Server } from 'node:http';

export interface DrainResult {
  /** Requests still running when the drain timeout cut them off (0 after a clean drain). */
  cutOff: number;
}

/**
 * Graceful shutdown for one HTTP(S) server: counts requests in flight from the moment it is attached,
 * and on `drain` stops accepting connections, lets the requests in flight finish (an upload included),
 * closes keep-alive connections as they fall idle, and after `timeoutMs` cuts whatever is left.
 */
export class RequestDrain {
  private active = 0;
  private draining = false;
  private onIdle: (() => void) | undefined;

  constructor(private readonly server: Server) {
    // First in line, so the header is set before any handler can send its answer.
    server.prependListener('request', (_req, res) => {
      this.active++;
      if (this.draining) res.setHeader('Connection', 'close');
      res.once('close', () => {
        this.active--;
        if (!this.draining) return;
        // The connection of the answer that just ended may now be idle: do not let keep-alive hold it open.
        setImmediate(() => this.server.closeIdleConnections());
        if (this.active === 0) this.onIdle?.();
      });
    });
  }

  get inFlight(): number {
    return this.active;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Stop accepting now; resolve once every request has finished, or when `timeoutMs` has passed. */
  async drain(timeoutMs: number, force?: Promise<void>): Promise<DrainResult> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
    this.server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<void>((resolve) => {
      this.onIdle = resolve;
      if (this.active === 0) resolve();
    });
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([idle, timedOut, ...(force ? [force] : [])]);
    clearTimeout(timer);
    const cutOff = this.active;
    if (cutOff > 0) this.server.closeAllConnections();
    else this.server.closeIdleConnections();
    await closed;
    return { cutOff };
  }
}
