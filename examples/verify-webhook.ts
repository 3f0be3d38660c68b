// Protects a webhook endpoint with Vonage signed callbacks: the raw body is verified against the JWT in the
// Authorization header (signature, payload_hash, iat, iss, jti replay) before the event is trusted.
//
// How to run: this file is typechecked with the project (`npm run typecheck`) but not built into dist/, and
// on Node 20 there is no tsx here and no `--experimental-strip-types`. To adapt it: `npm run build` (which
// emits dist/security/index.js), point the import below at that file (or at wherever you vendor
// src/security), compile this file with tsc, and run the output with
//   VONAGE_SIGNATURE_SECRET=... [VONAGE_API_KEY=...] [PORT=3000] node verify-webhook.js
import { createServer } from "node:http";
import { MemoryReplayStore, verifySignedCallback } from "../src/security/index.js";

const signatureSecret = process.env["VONAGE_SIGNATURE_SECRET"];
if (!signatureSecret)
  throw new Error("set VONAGE_SIGNATURE_SECRET (dashboard → Settings → signature secret)");
const expectedApiKey = process.env["VONAGE_API_KEY"];
const replayStore = new MemoryReplayStore();

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    // Hash the bytes as received: re-serialised JSON would not match payload_hash.
    const rawBody = Buffer.concat(chunks);
    void verifySignedCallback({
      authorization: req.headers.authorization,
      rawBody,
      signatureSecret,
      replayStore,
      ...(expectedApiKey ? { expectedApiKey } : {}),
    }).then(
      (result) => {
        if (!result.ok) {
          res.writeHead(401, { "content-type": "text/plain" }).end(`${result.reason}: ${result.message}\n`);
          return;
        }
        console.log(`accepted callback jti=${result.claims.jti}`, rawBody.toString("utf8"));
        res.writeHead(200).end();
      },
      (error: unknown) => {
        // A 5xx makes Vonage retry, which is right when our replay store failed rather than the request.
        console.error(error);
        res.writeHead(500).end();
      },
    );
  });
});

server.listen(Number(process.env["PORT"] ?? 3000), "127.0.0.1", () => {
  console.log("listening for signed Vonage callbacks");
});
