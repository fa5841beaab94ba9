/**
 * The leak scan: text that looks like a secret where no secret should be.
 * Pure functions over file names and contents.
 */

/** One kind of secret the scan recognizes. */
interface LeakPattern {
  name: string;
  re: RegExp;
}

const PATTERNS: readonly LeakPattern[] = [
  { name: "an age private key", re: /AGE-SECRET-KEY-(?:PQ-)?1[0-9A-Z]{20,}/ },
  { name: "an OpenSSH private key", re: /-----BEGIN OPENSSH PRIVATE KEY-----/ },
  { name: "a PEM private key", re: /-----BEGIN (?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----/ },
  { name: "a PGP private key", re: /-----BEGIN PGP PRIVATE KEY BLOCK-----/ },
  { name: "an AWS access key id", re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: "a GitHub token", re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b/ },
  { name: "a Slack token", re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  { name: "a Google API key", re: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/ },
  { name: "a Stripe secret key", re: /\b[sr]k_live_[0-9A-Za-z]{20,}\b/ },
];

/** A suspected secret in a file. */
export interface Leak {
  line: number;
  what: string;
}

/** Whether a path names a dotenv file (`.env`, `.env.production`, `app.env`), not a template. */
export function isDotenvFile(path: string): boolean {
  const base = path.slice(path.lastIndexOf("/") + 1);
  if (/\.(example|sample|template|dist)$/.test(base)) return false;
  return base === ".env" || base.startsWith(".env.") || base.endsWith(".env");
}

/** Finds suspected secrets in one file's text. */
export function scanText(path: string, text: string): Leak[] {
  const leaks: Leak[] = [];
  const dotenv = isDotenvFile(path);
  const lines = text.split("\n");
  for (const [i, line] of lines.entries()) {
    const hit = PATTERNS.find((p) => p.re.test(line));
    if (hit) {
      leaks.push({ line: i + 1, what: hit.name });
      continue;
    }
    // A dotenv assignment with a non-empty value (not a ${REFERENCE}).
    if (
      dotenv &&
      /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*(?!\s*(?:#|$))(?!(?:""|'')\s*$)(?!["']?\$\{)/.test(line)
    ) {
      leaks.push({ line: i + 1, what: "a .env value" });
    }
  }
  return leaks;
}
