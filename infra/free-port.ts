import { createServer } from 'node:net';

// Below Linux's default ephemeral range (32768-60999): servers such as the Temporal dev server
// bind their internal services to ephemeral ports, which could take a port we picked before use.
const LOW = 20000;
const HIGH = 32000;

/** A TCP port on loopback, outside the ephemeral range, that was free a moment ago. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await canBind(port)) return port;
  }
  throw new Error(`No free TCP port found between ${LOW} and ${HIGH}`);
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
