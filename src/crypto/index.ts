/**
 * The age module's one entry: everything outside src/crypto imports from
 * here. Keys are parsed through the table of key kinds (kinds.ts); files are
 * encrypted and decrypted by age.ts, on the fast path where every key allows
 * it, and on worker threads inside a {@link withCryptoWorkers} scope.
 *
 * To add a key kind, add its entry to kinds.ts (and its pattern to the
 * schemas); nothing here or outside src/crypto changes.
 */
export {
  addRecipientsArmored,
  type CiphertextPlace,
  countStanzas,
  decryptArmored,
  encryptArmored,
} from "./age.js";
export {
  AgeIdentity,
  AgeRecipient,
  type GeneratedKey,
  generateKey,
  type IdentityOptions,
  type KeyKind,
  parseIdentityFile,
  recipientText,
} from "./keys.js";
export { type KeyPrompts, NO_PROMPTS, terminalPrompts } from "./prompt.js";
export { withCryptoWorkers } from "./workers.js";
export { generateNativeX25519Identity as generateX25519Identity } from "./x25519.js";
