// A tiny real HTTP server for unit tests: each request is answered by the next scripted reply.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Reply =
  { status: number; body?: unknown; headers?: Record<string, string> } | { drop: true } | { hang: true };

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface TinyServer {
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** Replies in order; the last reply repeats. A function decides per request. */
export async function startTinyServer(
  replies: Reply[] | ((req: SeenRequest, n: number) => Reply),
): Promise<TinyServer> {
  const seen: SeenRequest[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const request: SeenRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      seen.push(request);
      const n = seen.length - 1;
      const reply =
        typeof replies === "function"
          ? replies(request, n)
          : (replies[Math.min(n, replies.length - 1)] as Reply);
      if ("drop" in reply) {
        req.socket.destroy();
        return;
      }
      if ("hang" in reply) {
        hanging.push(res);
        return;
      }
      const payload = reply.body === undefined ? "" : JSON.stringify(reply.body);
      res.writeHead(reply.status, {
        ...(payload ? { "content-type": "application/json" } : {}),
        ...reply.headers,
      });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
