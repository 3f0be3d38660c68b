// A webhook receiver on loopback for the notification tests: records each POSTed JSON body; `delayMs` holds each
// answer that long (a slow server); `deadUrl` is a URL nothing listens on.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Receiver {
  url: string;
  bodies: Record<string, unknown>[];
  /** The raw bodies as posted, for the leak scan. */
  raw: string[];
  close(): Promise<void>;
}

export async function webhookReceiver(path: string, options: { delayMs?: number } = {}): Promise<Receiver> {
  const bodies: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      raw.push(text);
      bodies.push(JSON.parse(text) as Record<string, unknown>);
      const timer = setTimeout(() => response.writeHead(200).end("ok"), options.delayMs ?? 0);
      response.on("close", () => clearTimeout(timer));
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    bodies,
    raw,
    close: async () => {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    },
  };
}

/** A URL on loopback that nothing listens on. */
export async function deadUrl(path: string): Promise<string> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return `http://127.0.0.1:${port}${path}`;
}
