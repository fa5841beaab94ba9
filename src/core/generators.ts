/**
 * Value generators for `set --generate` and `rotate`: `password:LEN`,
 * `hex:BYTES`, `base64:BYTES`, `uuid`, `age-identity`. All draw on the
 * operating system's cryptographic randomness.
 */
import { randomBytes, randomInt, randomUUID } from "node:crypto";
import { generateX25519Identity } from "../crypto/index.js";
import { UsageError } from "../errors.js";

const PASSWORD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~!#%+=@^";
const MAX_LENGTH = 4096;

/** A parsed generator: call it for a fresh value. */
export interface Generator {
  readonly spec: string;
  generate(): string;
}

/**
 * Parses a generator spec.
 * @throws UsageError naming the valid forms.
 */
export function parseGenerator(spec: string): Generator {
  const [kind, arg, ...extra] = spec.split(":");
  const n = arg === undefined ? undefined : Number(arg);
  const sized = (f: (n: number) => string): Generator => {
    if (n === undefined || !Number.isInteger(n) || n < 1 || n > MAX_LENGTH || extra.length > 0) {
      throw new UsageError(`generator "${spec}" needs a size from 1 to ${MAX_LENGTH}, e.g. ${kind}:32`);
    }
    return { spec, generate: () => f(n) };
  };
  const plain = (f: () => string): Generator => {
    if (arg !== undefined) throw new UsageError(`generator "${kind}" takes no size`);
    return { spec, generate: f };
  };
  switch (kind) {
    case "password":
      return sized((len) =>
        Array.from({ length: len }, () => PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)]).join(""),
      );
    case "hex":
      return sized((bytes) => randomBytes(bytes).toString("hex"));
    case "base64":
      return sized((bytes) => randomBytes(bytes).toString("base64"));
    case "uuid":
      return plain(() => randomUUID());
    case "age-identity":
      return plain(() => generateX25519Identity());
    default:
      throw new UsageError(`unknown generator "${spec}"`, {
        fix: "use password:LEN, hex:BYTES, base64:BYTES, uuid or age-identity",
      });
  }
}
