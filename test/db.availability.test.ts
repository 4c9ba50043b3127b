import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { watchDatabase } from '../src/db/availability.js';

/**
 * The probe behind /health tells a database that refuses from one that is merely slow to
 * answer: under load the process itself may be the slow one, and it must not declare a healthy
 * database dead on one late answer.
 */
const silent = { warn: () => undefined, info: () => undefined };
const sockets: net.Socket[] = [];
const servers: net.Server[] = [];
afterAll(() => {
  for (const socket of sockets) socket.destroy();
  for (const server of servers) server.close();
});

function listen(onConnection: (socket: net.Socket) => void): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer(onConnection).listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
    servers.push(server);
  });
}

describe('the database availability probe', () => {
  it('marks a database that refuses connections down at once', async () => {
    const port = await listen((socket) => socket.destroy());
    const availability = await watchDatabase({ url: `postgres://x:y@127.0.0.1:${port}/z`, expectedMigrations: 1, log: silent, intervalMs: 50 });
    try {
      expect(availability.reachable).toBe(false);
      expect(availability.ready).toBe(false);
    } finally {
      availability.close();
    }
  });

  it('waits for three timeouts in a row before calling a silent database down', async () => {
    // A server that accepts and never says a word: every probe times out.
    const port = await listen((socket) => void sockets.push(socket));
    const availability = await watchDatabase({ url: `postgres://x:y@127.0.0.1:${port}/z`, expectedMigrations: 1, log: silent, intervalMs: 50 });
    try {
      expect(availability.reachable, 'one late answer proves nothing').toBe(true);
      expect(availability.ready, 'but it is not ready either').toBe(false);
      availability.markUnreachable(new Error('timeout exceeded when trying to connect'));
      expect(availability.reachable, 'a full pool is not a dead database').toBe(true);
      const deadline = Date.now() + 20_000;
      while (availability.reachable && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(availability.reachable).toBe(false);
    } finally {
      availability.close();
    }
  }, 30_000);
});
