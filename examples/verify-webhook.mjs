// Protects a webhook endpoint with Vonage signed callbacks: the raw body is verified against the JWT in the
// Authorization header (signature, payload_hash, iat, iss, jti replay) before the event is trusted.
//
// Run it from the clone after `npm run build` (plain JavaScript: no TypeScript tooling needed; "vonage-ir" resolves
// to this package's dist/ by its own name):
//   VONAGE_SIGNATURE_SECRET=... [VONAGE_API_KEY=...] [PORT=3000] node examples/verify-webhook.mjs
// In your own service, `npm install` the package (or vendor src/security) and keep the same code.
import { createServer } from "node:http";
import { MemoryReplayStore, verifySignedCallback } from "vonage-ir";

const signatureSecret = process.env.VONAGE_SIGNATURE_SECRET;
if (!signatureSecret) {
  console.error("set VONAGE_SIGNATURE_SECRET (dashboard → Settings → signature secret)");
  process.exit(2);
}
const expectedApiKey = process.env.VONAGE_API_KEY;
const replayStore = new MemoryReplayStore();

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    // Hash the bytes as received: re-serialised JSON would not match payload_hash.
    const rawBody = Buffer.concat(chunks);
    verifySignedCallback({
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
      (error) => {
        // A 5xx makes Vonage retry, which is right when our replay store failed rather than the request.
        console.error(error);
        res.writeHead(500).end();
      },
    );
  });
});

server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  console.log(`listening for signed Vonage callbacks on http://127.0.0.1:${server.address().port}`);
});
