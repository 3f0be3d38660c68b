// KeyPairPool: key pairs generated ahead, a bounded number at a time, each handed out once.
import { describe, expect, it } from "vitest";
import {
  KeyPairPool,
  generateKeyPairAsync,
  keyPairMatches,
  type KeyPair,
} from "../../../src/security/index.js";

/** A generator whose calls finish when the test says so. */
function controlled() {
  const pending: ((pair: KeyPair) => void)[] = [];
  let made = 0;
  const generate = () =>
    new Promise<KeyPair>((resolve) => {
      pending.push(resolve);
    });
  const finishOne = () => {
    made++;
    pending.shift()?.({ publicKeyPem: `pub-${made}`, privateKeyPem: `priv-${made}` });
  };
  return { generate, finishOne, started: () => pending.length + made };
}

describe("KeyPairPool", () => {
  it("generates the announced number ahead, at most `parallel` at a time", async () => {
    const gen = controlled();
    const pool = new KeyPairPool(gen.generate, 2);
    pool.announce(5);
    expect(pool.size).toBe(5);
    await Promise.resolve();
    expect(gen.started()).toBe(2);
    gen.finishOne();
    await new Promise((resolve) => setImmediate(resolve));
    expect(gen.started()).toBe(3);
  });

  it("hands out each pair once, oldest first, and generates on demand when none is ahead", async () => {
    const gen = controlled();
    const pool = new KeyPairPool(gen.generate, 1);
    pool.announce(2);
    const first = pool.take();
    const second = pool.take();
    const third = pool.take();
    expect(pool.size).toBe(0);
    for (let i = 0; i < 3; i++) {
      gen.finishOne();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await first).privateKeyPem).toBe("priv-1");
    expect((await second).privateKeyPem).toBe("priv-2");
    expect((await third).privateKeyPem).toBe("priv-3");
  });

  it("adds each announcement to what is generated ahead, and generates nothing unannounced", () => {
    const gen = controlled();
    const pool = new KeyPairPool(gen.generate, 2);
    expect(pool.size).toBe(0);
    pool.announce();
    pool.announce(2);
    expect(pool.size).toBe(3);
  });

  it("stays at most `lookahead` ahead of the takes, and refills as keys are taken", () => {
    const gen = controlled();
    const pool = new KeyPairPool(gen.generate, 2, 3);
    pool.announce(10);
    expect(pool.size).toBe(3);
    void pool.take();
    expect(pool.size).toBe(3);
    for (let i = 0; i < 7; i++) void pool.take();
    expect(pool.size).toBe(2);
  });

  it("generateKeyPairAsync makes a matching RSA pair in PEM", async () => {
    const pair = await generateKeyPairAsync();
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(pair.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(keyPairMatches(pair.privateKeyPem, pair.publicKeyPem)).toBe(true);
  });
});
