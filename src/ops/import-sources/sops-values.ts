/**
 * sops' encrypted values and the bytes its MAC hashes (getsops/sops
 * aes/cipher.go and sops.go `ToBytes`).
 *
 * A value is `ENC[AES256_GCM,data:B64,iv:B64,tag:B64,type:T]`: AES-256-GCM
 * under the file's 32-byte data key, with a 32-byte IV and 16-byte tag, and
 * the value's key path joined and ended by `:` (`database:user:`) as
 * additional data. `T` says how sops typed the plaintext: `str`, `int`,
 * `float`, `bool` (written `True`/`False`), `time` (RFC 3339), `bytes`, or
 * `comment`. The MAC hashes each value as Go prints the typed value, so the
 * helpers here reproduce Go's `strconv` and go-yaml v3's typing.
 */
import { createDecipheriv } from "node:crypto";

/** The parts of an `ENC[...]` value. */
export interface EncValue {
  readonly data: Buffer;
  readonly iv: Buffer;
  readonly tag: Buffer;
  readonly type: string;
}

// As sops' own pattern (greedy groups, no end anchor).
const ENC = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/s;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Whether a value is in sops' encrypted form at all (what `parseEncValue` may then refuse). */
export function looksLikeEncValue(text: string): boolean {
  return text.startsWith("ENC[");
}

/** Parses an `ENC[...]` value; `undefined` if it is not one, or its base64 is broken. */
export function parseEncValue(text: string): EncValue | undefined {
  const m = ENC.exec(text);
  if (!m) return undefined;
  const [, data, iv, tag, type] = m as unknown as [string, string, string, string, string];
  if (![data, iv, tag].every((b) => BASE64.test(b))) return undefined;
  return {
    data: Buffer.from(data, "base64"),
    iv: Buffer.from(iv, "base64"),
    tag: Buffer.from(tag, "base64"),
    type,
  };
}

/**
 * Opens a value with the data key; `undefined` if its tag does not verify
 * (a wrong key, a changed value, or a value moved to another key path).
 */
export function openEncValue(value: EncValue, key: Uint8Array, additionalData: string): Buffer | undefined {
  if (value.iv.length === 0 || value.tag.length !== 16) return undefined;
  try {
    const d = createDecipheriv("aes-256-gcm", key, value.iv, { authTagLength: 16 });
    d.setAAD(Buffer.from(additionalData, "utf8"));
    d.setAuthTag(value.tag);
    return Buffer.concat([d.update(value.data), d.final()]);
  } catch {
    return undefined;
  }
}

/** A decrypted value: its text for import, and the bytes sops' MAC hashes. */
export interface TypedPlaintext {
  /** `str`, `time` and `bytes` are strings; `int` and `float` numbers; `bool` a boolean. */
  readonly kind: "string" | "number" | "boolean";
  /** The text lockstep imports: the plaintext, with booleans as `true`/`false`. */
  readonly text: string;
  /** What the MAC hashes for it. */
  readonly macBytes: Buffer;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Types a decrypted plaintext as sops' `Cipher.Decrypt` does; `undefined`
 * for a type sops does not know, or a plaintext its type refuses.
 */
export function typePlaintext(plaintext: Buffer, type: string): TypedPlaintext | undefined {
  let text: string;
  try {
    text = utf8.decode(plaintext);
  } catch {
    return undefined;
  }
  switch (type) {
    case "str":
    case "bytes":
    case "time":
      return { kind: "string", text, macBytes: plaintext };
    case "int": {
      const n = goParseInt(text, 10);
      return n === undefined ? undefined : { kind: "number", text, macBytes: Buffer.from(n.toString()) };
    }
    case "float": {
      const f = goParseFloat(text);
      return f === undefined ? undefined : { kind: "number", text, macBytes: Buffer.from(goFormatFloat(f)) };
    }
    case "bool": {
      const b = goParseBool(text);
      return b === undefined
        ? undefined
        : { kind: "boolean", text: b ? "true" : "false", macBytes: Buffer.from(b ? "True" : "False") };
    }
    default:
      return undefined;
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Go's `strconv.ParseInt(s, base, 64)` for base 10, or 0 (a `0x`, `0o`,
 * `0b` or `0` prefix picks the base); `undefined` where Go fails.
 */
export function goParseInt(s: string, base: 0 | 10): bigint | undefined {
  const n = parseGoInteger(s, base);
  return n === undefined || n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

/** Go's `strconv.ParseUint(s, 0, 64)`. */
function goParseUint(s: string): bigint | undefined {
  const n = /^[+-]/.test(s) ? undefined : parseGoInteger(s, 0);
  return n === undefined || n < 0n || n >= 2n ** 64n ? undefined : n;
}

/** An integer in Go's syntax for `base`, of any size. */
function parseGoInteger(s: string, base: 0 | 10): bigint | undefined {
  const m = /^([+-]?)(.*)$/s.exec(s) as RegExpExecArray;
  let body = m[2] as string;
  let digits = /^[0-9]+$/;
  let prefix = "";
  if (base === 0) {
    if (/^0[xX]/.test(body)) [prefix, body, digits] = ["0x", body.slice(2), /^[0-9a-fA-F]+$/];
    else if (/^0[oO]/.test(body)) [prefix, body, digits] = ["0o", body.slice(2), /^[0-7]+$/];
    else if (/^0[bB]/.test(body)) [prefix, body, digits] = ["0b", body.slice(2), /^[01]+$/];
    else if (/^0[0-9]/.test(body)) [prefix, body, digits] = ["0o", body.slice(1), /^[0-7]+$/];
  }
  if (!digits.test(body)) return undefined;
  return (m[1] === "-" ? -1n : 1n) * BigInt(`${prefix}${body}`);
}

/** Go's `strconv.ParseFloat(s, 64)` for decimal text, `inf`, `infinity` and `nan`. */
export function goParseFloat(s: string): number | undefined {
  if (/^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(s)) {
    const f = Number(s);
    return Number.isFinite(f) ? f : undefined; // Go fails out of range
  }
  const special = s.toLowerCase();
  if (/^[+]?inf(inity)?$/.test(special)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/.test(special)) return Number.NEGATIVE_INFINITY;
  if (/^[+-]?nan$/.test(special)) return Number.NaN;
  return undefined;
}

/** Go's `strconv.ParseBool`. */
export function goParseBool(s: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return undefined;
}

/**
 * Go's `strconv.FormatFloat(f, 'f', -1, 64)`: the shortest digits that read
 * back as `f`, without an exponent (`1e21` is `1000000000000000000000`).
 */
export function goFormatFloat(f: number): string {
  if (Number.isNaN(f)) return "NaN";
  if (f === Number.POSITIVE_INFINITY) return "+Inf";
  if (f === Number.NEGATIVE_INFINITY) return "-Inf";
  const sign = f < 0 || Object.is(f, -0) ? "-" : "";
  // toExponential() with no argument gives the shortest round-trip digits, as Go does.
  const [mantissa, exp] = Math.abs(f).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const point = Number(exp) + 1; // digits before the decimal point
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * The MAC bytes of a JSON number sops left unencrypted: sops reads JSON
 * numbers with `UseNumber`, an integer in int64's range as an `int`, any
 * other as a `float64`.
 */
export function goJsonNumberBytes(text: string): string | undefined {
  const n = /^-?[0-9]+$/.test(text) ? goParseInt(text, 10) : undefined;
  if (n !== undefined) return n.toString();
  const f = goParseFloat(text);
  return f === undefined ? undefined : goFormatFloat(f);
}

const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/**
 * The MAC bytes of an unquoted YAML scalar sops left unencrypted, typed as
 * go-yaml v3 types it for an `interface{}` (resolve.go): `null` (and `~`,
 * empty) is nothing to hash; `true`/`True`/`TRUE` hash as `True`; integers
 * (any base, `_` ignored) as decimal; floats as Go prints them; timestamps
 * as RFC 3339; anything else as its text. `undefined` for a null, `false`
 * for a value sops cannot hash (an integer past int64).
 */
export function goYamlPlainBytes(text: string): string | undefined | false {
  const fixed: Record<string, string | undefined> = {
    true: "True",
    True: "True",
    TRUE: "True",
    false: "False",
    False: "False",
    FALSE: "False",
    ".nan": "NaN",
    ".NaN": "NaN",
    ".NAN": "NaN",
    ".inf": "+Inf",
    ".Inf": "+Inf",
    ".INF": "+Inf",
    "+.inf": "+Inf",
    "+.Inf": "+Inf",
    "+.INF": "+Inf",
    "-.inf": "-Inf",
    "-.Inf": "-Inf",
    "-.INF": "-Inf",
  };
  if (["", "~", "null", "Null", "NULL"].includes(text)) return undefined;
  if (Object.hasOwn(fixed, text)) return fixed[text];
  const first = text[0] as string;
  if (first === ".") {
    const f = /^\.[0-9]+(?:[eE][+-]?[0-9]+)?$/.test(text) ? goParseFloat(text) : undefined;
    return f === undefined ? text : goFormatFloat(f);
  }
  if (!/^[0-9+-]/.test(first)) return text;
  const time = goYamlTimestamp(text);
  if (time !== undefined) return time;
  const plain = text.replaceAll("_", "");
  const int = goParseInt(plain, 0);
  if (int !== undefined) return int.toString();
  if (goParseUint(plain) !== undefined) return false;
  if (YAML_FLOAT.test(plain)) {
    const f = goParseFloat(plain);
    if (f !== undefined) return goFormatFloat(f);
  }
  for (const [re, radix] of [
    [/^(-?)0b([01]+)$/, 2],
    [/^(-?)0o([0-7]+)$/, 8],
  ] as const) {
    const m = re.exec(plain);
    if (!m) continue;
    const n = BigInt(`0${radix === 2 ? "b" : "o"}${m[2]}`) * (m[1] === "-" ? -1n : 1n);
    if (n >= INT64_MIN && n <= INT64_MAX) return n.toString();
    return false;
  }
  return text;
}

/**
 * go-yaml v3's timestamps (`2006-1-2T15:4:5.999999999Z07:00`, with `t` or a
 * space, or a date alone), as Go's `time.MarshalText` prints them.
 */
function goYamlTimestamp(text: string): string | undefined {
  const m =
    /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))|(?: ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(\.[0-9]+)?))?$/.exec(
      text,
    );
  if (!m) return undefined;
  const pad = (s: string | undefined) => (s ?? "0").padStart(2, "0");
  const [, y, mo, d] = m;
  const h = m[4] ?? m[9];
  const mi = m[5] ?? m[10];
  const s = m[6] ?? m[11];
  // RFC 3339 with nanoseconds, trailing zeros dropped.
  const frac = (m[7] ?? m[12] ?? "").slice(0, 10).replace(/0+$/, "").replace(/^\.$/, "");
  const zone = m[8] ?? "Z";
  const month = Number(mo);
  const day = Number(d);
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    Number(h ?? 0) > 23 ||
    Number(mi ?? 0) > 59 ||
    Number(s ?? 0) > 59
  ) {
    return undefined;
  }
  const offset = zone === "Z" || /^[+-]00:00$/.test(zone) ? "Z" : zone;
  return `${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}${frac}${offset}`;
}
