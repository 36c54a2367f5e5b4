/**
 * A TCP port the OS considers free on `host` right now: listen on port 0, read the port, close.
 * For a process that must later bind the same port again (a backend restarted on its port, the
 * chaos demo's EA link), since uWebSockets.js listening on port 0 does not set SO_REUSEADDR.
 */
import { createServer, type AddressInfo } from 'node:net';

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
