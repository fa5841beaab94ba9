import { describe, expect, it } from "vitest";
import { isDotenvFile, scanText } from "../../src/core/leaks.js";

/**
 * Secret-shaped strings, assembled from parts so that this file is not
 * itself one more thing for a secret scanner to flag. None is a real key.
 */
const join = (...parts: string[]) => parts.join("");
const LEAKS: Record<string, { text: string; what: string }> = {
  "age X25519 identity": {
    text: join("AGE-SECRET-KEY-", "1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQG"),
    what: "an age private key",
  },
  "age post-quantum identity": {
    text: join("AGE-SECRET-KEY-", "PQ-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQ"),
    what: "an age private key",
  },
  OpenSSH: { text: join("-----BEGIN ", "OPENSSH PRIVATE KEY-----"), what: "an OpenSSH private key" },
  "PEM RSA": { text: join("-----BEGIN ", "RSA PRIVATE KEY-----"), what: "a PEM private key" },
  "PEM EC": { text: join("-----BEGIN ", "EC PRIVATE KEY-----"), what: "a PEM private key" },
  "PEM plain (PKCS#8)": { text: join("-----BEGIN ", "PRIVATE KEY-----"), what: "a PEM private key" },
  "PEM encrypted": { text: join("-----BEGIN ", "ENCRYPTED PRIVATE KEY-----"), what: "a PEM private key" },
  "PEM DSA": { text: join("-----BEGIN ", "DSA PRIVATE KEY-----"), what: "a PEM private key" },
  PGP: { text: join("-----BEGIN PGP ", "PRIVATE KEY BLOCK-----"), what: "a PGP private key" },
  "AWS AKIA": { text: join("aws_access_key_id = ", "AKIA", "IOSFODNN7EXAMPLE"), what: "an AWS access key id" },
  "AWS ASIA": { text: join("key: ", "ASIA", "Z2Y3X4W5V6U7T8S9"), what: "an AWS access key id" },
  "GitHub ghp_": { text: join("token ", "ghp_", "a".repeat(20), "B".repeat(16)), what: "a GitHub token" },
  "GitHub gho_": { text: join("oauth=", "gho_", "0123456789abcdefghijABCDEFGHIJ012345"), what: "a GitHub token" },
  "GitHub github_pat_": {
    text: join("Authorization: token ", "github_pat_", "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL"),
    what: "a GitHub token",
  },
  "Slack xoxb": { text: join("SLACK: ", "xoxb-", "123456789012-1234567890123-abcdefghij"), what: "a Slack token" },
  "Slack xoxp": { text: join("slack ", "xoxp-", "1234567890-abcdefABCDEF"), what: "a Slack token" },
  "Google AIza": {
    text: join("apiKey: '", "AIza", "SyA-0123456789abcdefghijklmnopqrstu", "'"),
    what: "a Google API key",
  },
  "Stripe sk_live": {
    text: join("stripe.key = ", "sk_live_", "4eC39HqLyjWDarjtT1zdp7dc"),
    what: "a Stripe secret key",
  },
  "Stripe rk_live": { text: join("", "rk_live_", "0123456789abcdefghijKLMN"), what: "a Stripe secret key" },
};

describe("scanText: the patterns", () => {
  for (const [name, { text, what }] of Object.entries(LEAKS)) {
    it(`finds ${name} on the line it is on`, () => {
      const file = ["# notes", "", "nothing here", `  ${text}`, "more text"].join("\n");
      expect(scanText("docs/notes.md", file)).toEqual([{ line: 4, what }]);
      expect(scanText("notes.txt", text)).toEqual([{ line: 1, what }]);
    });
  }

  // BUG (reported, not fixed): the Google pattern ends in `\b`, so a key whose last character is "-"
  // (1 in 64 keys: the 35 characters are base64url) is missed. Remove `.fails` once fixed.
  it("finds a Google API key that ends in '-'", () => {
    const key = join("AIza", "SyA0123456789abcdefghijklmnopqrstu-");
    expect(scanText("app.js", `const key = "${key}";`)).toEqual([{ line: 1, what: "a Google API key" }]);
  });

  it("reports every line that holds one, in order, once per line", () => {
    const pem = LEAKS["PEM RSA"]?.text as string;
    const aws = LEAKS["AWS AKIA"]?.text as string;
    const text = [pem, "MIIEowIBAAKCAQEA...", "-----END RSA PRIVATE KEY-----", "", `${aws} ${aws}`, ""].join("\n");
    expect(scanText("deploy/key.pem", text)).toEqual([
      { line: 1, what: "a PEM private key" },
      { line: 5, what: "an AWS access key id" },
    ]);
  });

  it("counts lines of CRLF text the same way", () => {
    const aws = LEAKS["AWS AKIA"]?.text as string;
    expect(scanText("a.txt", `one\r\ntwo\r\n${aws}\r\n`)).toEqual([{ line: 3, what: "an AWS access key id" }]);
  });

  it("leaves ordinary text alone", () => {
    const text = [
      "# Deploying",
      "Keys start with AKIA; ask ops for one. The token looks like ghp_xxxx.",
      join("-----BEGIN ", "PUBLIC KEY-----"),
      join("-----BEGIN ", "CERTIFICATE-----"),
      "-----BEGIN AGE ENCRYPTED FILE-----",
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host",
      "recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
      "PASSWORD=hunter2 in a text file is not a dotenv file",
      join("stripe test key: ", "sk_test_", "4eC39HqLyjWDarjtT1zdp7dc"),
      "AGE-SECRET-KEY-1 is how an age identity starts",
      "",
    ].join("\n");
    expect(scanText("README.md", text)).toEqual([]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${REFERENCE} in a config file, not a template
    expect(scanText("config/app.yaml", "db:\n  password: ${DB_PASSWORD}\n  host: localhost\n")).toEqual([]);
  });
});

describe("dotenv files", () => {
  it("recognizes dotenv files by name, templates excepted", () => {
    for (const p of [".env", "app/.env", ".env.production", "deploy/.env.local", "app.env", "x/prod.env"]) {
      expect(isDotenvFile(p), p).toBe(true);
    }
    for (const p of [
      ".env.example",
      "app/.env.sample",
      ".env.template",
      ".env.dist",
      "app.env.example",
      "env.txt",
      "environment.yaml",
      ".envrc",
      "README.md",
    ]) {
      expect(isDotenvFile(p), p).toBe(false);
    }
  });

  const DOTENV = [
    "# database", //                         1 comment
    "DB_HOST=db.internal", //                2 value
    "DB_PASSWORD=", //                       3 empty
    'EMPTY_DOUBLE=""', //                    4 empty
    "EMPTY_SINGLE=''", //                    5 empty
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a dotenv ${REFERENCE}, not a template
    "FROM_CI=${CI_DB_PASSWORD}", //          6 reference
    // biome-ignore lint/suspicious/noTemplateCurlyInString: likewise
    'QUOTED_REF="${OTHER}"', //              7 reference
    "", //                                   8 blank
    "export API_TOKEN=abc123", //            9 value
    "  SPACED = value with spaces", //       10 value
    "COMMENTED= # to be filled in", //       11 empty, comment
    "# OLD_PASSWORD=letmein", //             12 commented out
    "not an assignment", //                  13
    'QUOTED="s3cret"', //                    14 value
  ].join("\n");

  it("flags assignments with values, not empty ones, references or comments", () => {
    const lines = scanText(".env", DOTENV).map((l) => l.line);
    expect(lines).toEqual([2, 9, 10, 14]);
    expect(scanText(".env", DOTENV).every((l) => l.what === "a .env value")).toBe(true);
  });

  it("scans .env.production and app.env alike", () => {
    expect(scanText("deploy/.env.production", DOTENV).map((l) => l.line)).toEqual([2, 9, 10, 14]);
    expect(scanText("app.env", "KEY=value\n").map((l) => l.line)).toEqual([1]);
  });

  it("does not flag .env.example (or any other file) for its assignments", () => {
    expect(scanText(".env.example", DOTENV)).toEqual([]);
    expect(scanText("app/.env.sample", DOTENV)).toEqual([]);
    expect(scanText("settings.ini", DOTENV)).toEqual([]);
  });

  it("still finds a real key pattern in a template", () => {
    const aws = LEAKS["AWS AKIA"]?.text as string;
    expect(scanText(".env.example", `AWS_KEY=\nAWS_KEY_EXAMPLE=${aws}\n`)).toEqual([
      { line: 2, what: "an AWS access key id" },
    ]);
  });

  it("names the pattern, not the dotenv rule, when a dotenv value is a known kind of key", () => {
    const stripe = LEAKS["Stripe sk_live"]?.text.replace("stripe.key = ", "") as string;
    expect(scanText(".env", `STRIPE_KEY=${stripe}\n`)).toEqual([{ line: 1, what: "a Stripe secret key" }]);
  });
});
