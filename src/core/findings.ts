/**
 * What `lockstep check` reports: one finding per problem, with a stable code,
 * where it is, and what to do about it.
 */

/** Finding codes of DESIGN section 4. */
export type FindingCode =
  | "schema-invalid"
  | "unknown-member"
  | "invalid-recipient"
  | "no-readers"
  | "recipients-drift"
  | "exposed-to-former-reader"
  | "stage-invalid"
  | "ciphertext-mismatch"
  | "plaintext-secret"
  | "rotation-overdue"
  | "finish-overdue"
  | "codeowners-drift"
  | "value-invalid"
  | "leftover-file"
  | "merge-unresolved";

/** How bad a finding is: errors fail `check`, warnings do not. */
export type Severity = "error" | "warning";

/** One problem `check` found. */
export interface Finding {
  code: FindingCode;
  severity: Severity;
  /** Repository-relative path. */
  file: string;
  line?: number;
  /** The secret it is about, if any. */
  id?: string;
  message: string;
  fix?: string;
}

const WARNINGS: ReadonlySet<FindingCode> = new Set([
  "rotation-overdue",
  "finish-overdue",
  "codeowners-drift",
  "leftover-file",
]);

/** The severity of a finding code. */
export function severityOf(code: FindingCode): Severity {
  return WARNINGS.has(code) ? "warning" : "error";
}

/** Builds a finding with its code's severity. */
export function finding(code: FindingCode, f: Omit<Finding, "code" | "severity">): Finding {
  return { code, severity: severityOf(code), ...f };
}

/** Sorts findings by file, then line, then code, for stable output. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0) || a.code.localeCompare(b.code),
  );
}
