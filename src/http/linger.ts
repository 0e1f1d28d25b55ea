import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * What happens to the rest of a request body the registry answered before reading it all (413 PACK_TOO_LARGE,
 * 503 TOO_MANY_UPLOADS, 401, 403): it is read and dropped for at most `lingerMs` after the answer, then the
 * connection is cut.
 *
 * Why not close at once: a connection closed while the client is still sending is reset by the kernel, and a
 * client that is still writing then sees "connection reset" or "broken pipe" instead of the answer waiting
 * in its buffer (packctl reported a network error for most refused oversize pushes). nginx calls this
 * lingering close. A body that ends in time leaves the connection open for the next request, as after any
 * other answer; a client that keeps sending a huge body costs at most `lingerMs` of reading.
 */
export function lingerOnUnreadBodies(lingerMs: number): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    // Most requests (every download) have no body: nothing to watch.
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) return;
    res.once('finish', () => {
      if (req.complete) return;
      const { socket } = req;
      const cut = setTimeout(() => socket.destroy(), lingerMs);
      cut.unref();
      const stop = () => clearTimeout(cut);
      req.once('end', stop);
      socket.once('close', stop);
      // Node drops an unread body itself once the answer is sent; a body someone unpiped may be paused.
      req.resume();
    });
  };
}
