import net from 'node:net';

/**
 * A loopback TCP proxy in front of Redis that, once armed, forwards client bytes up to and including
 * the first chunk that carries a given command (matched in the RESP stream, case-insensitively) and
 * then holds everything the client sends after it. Replies still flow. Used to freeze a service
 * exactly between two Redis writes (a produce intent and its commit) without racing its timing.
 */
export interface RedisHoldProxy {
  readonly url: string;
  /** Start watching for the command; resolves once it has been forwarded and the hold began. */
  arm(): Promise<void>;
  close(): Promise<void>;
}

/** The RESP bytes of a command's name and first argument: `<name>\r\n$<len>\r\n<arg>\r\n`. */
export function respHead(name: string, firstArg: string): string {
  return `${name}\r\n$${Buffer.byteLength(firstArg)}\r\n${firstArg}\r\n`.toLowerCase();
}

export async function startRedisHoldProxy(redisUrl: string, needle: string): Promise<RedisHoldProxy> {
  const target = new URL(redisUrl);
  const sockets = new Set<net.Socket>();
  let armed = false;
  let holding = false;
  let onHold: (() => void) | undefined;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    sockets.add(client).add(upstream);
    let tail = ''; // the end of the previous chunk, so a needle split across chunks still matches
    client.on('data', (chunk: Buffer) => {
      if (holding) return; // held: never reaches Redis
      upstream.write(chunk);
      if (!armed) return;
      const text = tail + chunk.toString('latin1').toLowerCase();
      tail = text.slice(-needle.length);
      if (text.includes(needle)) {
        holding = true;
        onHold?.();
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(redisUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    arm: () =>
      new Promise<void>((resolve) => {
        onHold = resolve;
        armed = true;
      }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
