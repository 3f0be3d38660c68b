// The HTTP edges of the simulator: reading a request's body (bounded) and parsing it as its content type,
// writing a Reply, and the client's IPv4 address as the Audit API reports it.

import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Reply } from "./reply.js";

const MAX_BODY = 5 * 1024 * 1024;

export function send(res: ServerResponse, reply: Reply, extraHeaders: Record<string, string> = {}): void {
  const headers: Record<string, string> = { "X-Request-Id": randomUUID(), ...extraHeaders, ...reply.headers };
  if (reply.status === 204 || reply.body === undefined) {
    res.writeHead(reply.status, headers).end();
    return;
  }
  const text = JSON.stringify(reply.body);
  res
    .writeHead(reply.status, {
      ...headers,
      "Content-Type": reply.contentType ?? "application/json",
      "Content-Length": String(Buffer.byteLength(text)),
    })
    .end(text);
}

/** The body as text; undefined when it is larger than MAX_BODY. */
export async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function parseBody(
  text: string,
  contentType: string | undefined,
): { body: Record<string, unknown>; invalid: boolean } {
  if (text.trim() === "") return { body: {}, invalid: false };
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  if (type === "application/x-www-form-urlencoded") {
    return { body: Object.fromEntries(new URLSearchParams(text)), invalid: false };
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      return { body: parsed as Record<string, unknown>, invalid: false };
    }
  } catch {
    // fall through: not JSON
  }
  return { body: {}, invalid: true };
}

export function ipv4Of(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return /^\d+\.\d+\.\d+\.\d+$/.test(v4) ? v4 : undefined;
}
