/** Ports for process groups on 127.0.0.1 in tests and benches. */
import { createServer } from 'node:net';

/** A port nobody listens on now (the OS picks it; the caller's rendezvous takes it next). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
