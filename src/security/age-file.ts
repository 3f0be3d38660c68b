// Hand-off files are age-encrypted (https://age-encryption.org, the `age-encryption` package by the format's
// author) to the next responder's X25519 public key (`age1…`); only their identity (`AGE-SECRET-KEY-1…`, from
// `age-keygen` or `vonage-ir keygen`) opens one. ASCII-armored, as `age -a -r` writes it: it survives email,
// tickets and chat, and `age -d` opens it too; a binary age file is accepted on import.
import { armor, Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import { UsageError } from "../core/errors.js";
import { registerSecret } from "../core/redact.js";

const RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;

/** The recipient as given, checked: an X25519 age public key (age1 followed by 58 bech32 characters). */
export function checkRecipient(recipient: string): string {
  const trimmed = recipient.trim();
  if (!RECIPIENT.test(trimmed)) {
    throw new UsageError(
      `--recipient must be an age public key (age1 followed by 58 characters), not "${trimmed.slice(0, 80)}"`,
      "the next responder makes one with `vonage-ir keygen --to FILE` (or `age-keygen -o FILE`) and sends you the public key it prints",
    );
  }
  return trimmed;
}

const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";

/** The armored age file of `plaintext`, encrypted to `recipient` only. */
export async function encryptTo(recipient: string, plaintext: Uint8Array): Promise<Buffer> {
  const encrypter = new Encrypter();
  encrypter.addRecipient(checkRecipient(recipient));
  return Buffer.from(armor.encode(await encrypter.encrypt(plaintext)), "utf8");
}

function dearmored(file: Uint8Array): Uint8Array {
  const head = Buffer.from(file.subarray(0, 64)).toString("utf8").trimStart();
  return head.startsWith(ARMOR_BEGIN) ? armor.decode(Buffer.from(file).toString("utf8")) : file;
}

/**
 * The identities in an identity file's text (age-keygen's format: `#` comments, one `AGE-SECRET-KEY-1…` a line),
 * registered for redaction at once.
 */
export function identitiesIn(text: string): string[] {
  const identities = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith("AGE-SECRET-KEY-"));
  identities.forEach((identity) => registerSecret(identity));
  if (identities.length === 0) {
    throw new UsageError(
      "no age identity (a line starting with AGE-SECRET-KEY-) in what was given",
      "pass the file `vonage-ir keygen --to FILE` (or `age-keygen -o FILE`) wrote, with --identity FILE or on stdin",
    );
  }
  return identities;
}

/** Opens a hand-off file; one not encrypted to any of `identities` is refused naming their public keys. */
export async function decryptWith(
  identities: readonly string[],
  ciphertext: Uint8Array,
  file: string,
): Promise<Uint8Array> {
  const decrypter = new Decrypter();
  for (const identity of identities) decrypter.addIdentity(identity);
  try {
    return await decrypter.decrypt(dearmored(ciphertext));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/no identity matched/.test(message)) {
      const mine = await Promise.all(identities.map((identity) => identityToRecipient(identity)));
      throw new UsageError(
        `${file} is not encrypted to this identity (public key ${mine.join(", ")}): nothing was imported`,
        "use the identity whose public key the exporting responder passed to --recipient, or ask them to export again to yours",
      );
    }
    throw new UsageError(
      `${file} is not a readable age file (${message}): nothing was imported`,
      "check that the file arrived whole (its sha256 is in the exporting run's journal and on their screen)",
    );
  }
}

/** A new X25519 identity and its public key, for `vonage-ir keygen`. */
export async function newIdentity(): Promise<{ identity: string; recipient: string }> {
  const identity = await generateX25519Identity();
  registerSecret(identity);
  return { identity, recipient: await identityToRecipient(identity) };
}
