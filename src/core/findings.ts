/**
 * What `lockstep check` reports: one finding per problem, with a stable code,
 * where it is, and what to do about it.
 */

/**
 * Finding codes of DESIGN section 4, and those of the gate against careless
 * or hostile changes (issue 14): versions rewritten, renumbered or removed
 * against a base revision, manifests moved or copied, merge leftovers,
 * links out of the repository, ids that collide, variables that steer
 * execution, and keys claimed twice.
 */
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
  | "invalid-variable-name"
  | "duplicate-variable-name"
  | "leftover-file"
  | "versions-invalid"
  | "merge-conflict"
  | "manifest-moved"
  | "link-outside"
  | "id-collision"
  | "steering-variable"
  | "duplicate-recipient"
  | "version-rewritten"
  | "version-renumbered"
  | "version-removed"
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
  "version-removed",
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
