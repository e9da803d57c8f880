import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP forwarder on 127.0.0.1 in front of a real service, so tests can make that service look
 * down (`close()`: connections reset, new ones refused), hung (`pause()`: bytes stop flowing) or
 * back (`open()`/`resume()`) without touching the service itself.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<[Socket, Socket]>();
  private paused = false;
  /** Bytes received while paused, with the socket they are for. */
  private readonly held: Array<[Buffer, Socket]> = [];

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    private listenPort: number,
  ) {}

  /** Starts a proxy on a free port that forwards to host:port. */
  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetHost, targetPort, 0);
    await proxy.open();
    return proxy;
  }

  get port(): number {
    return this.listenPort;
  }

  /** Listens again on the same port after `close()`. */
  async open(): Promise<void> {
    if (this.server !== undefined) return;
    const server = createServer((client) => this.forward(client));
    server.listen(this.listenPort, "127.0.0.1");
    await once(server, "listening");
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("proxy has no port");
    this.listenPort = address.port;
    this.server = server;
  }

  /** Refuses new connections and resets the open ones, like a service that went away. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const [client, upstream] of this.pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.pairs.clear();
    this.held.length = 0;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Stops moving bytes both ways (connections stay open): a service that hangs. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const [chunk, to] of this.held.splice(0)) this.relay(chunk, to);
  }

  private forward(client: Socket): void {
    const upstream = connect(this.targetPort, this.targetHost);
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const drop = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    // Hand-written forwarding rather than pipe(): a piped stream may resume itself on "drain".
    client.on("data", (chunk: Buffer) => this.relay(chunk, upstream));
    upstream.on("data", (chunk: Buffer) => this.relay(chunk, client));
  }

  private relay(chunk: Buffer, to: Socket): void {
    if (this.paused) this.held.push([chunk, to]);
    else if (!to.destroyed) to.write(chunk);
  }
}
