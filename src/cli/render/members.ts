/** `member ls`: members, groups, keys, and what each reads. */
import type { MembersReport } from "../../index.js";
import { paint, table } from "../output.js";

/** A recipient shortened for a table: `age1abcdef…uvwxyz`. */
function shortKey(key: string): string {
  return key.length <= 20 ? key : `${key.slice(0, 10)}…${key.slice(-6)}`;
}

/** The members and groups, for a person. */
export function membersText(r: MembersReport): string {
  if (r.members.length === 0) return "No members yet: add one with `lockstep member add NAME --key age1...`.";
  const rows = r.members.map((m) => [
    m.name,
    m.groups.join(",") || "-",
    m.recipients.map(shortKey).join(" "),
    m.reads.join(", ") || "-",
    m.secrets.length === 0
      ? "0"
      : `${m.secrets.length}${m.awaitingRekey.length > 0 ? ` (${m.awaitingRekey.length} await rekey)` : ""}`,
  ]);
  const lines = [table([["MEMBER", "GROUPS", "KEYS", "READS", "SECRETS"], ...rows])];
  const waiting = r.members.filter((m) => m.awaitingRekey.length > 0);
  if (waiting.length > 0) {
    lines.push(
      "",
      `${paint(process.stdout, "33", "rekey needed:")} ${waiting.map((m) => m.name).join(", ")} cannot open every secret they read yet: run \`lockstep rekey\`.`,
    );
  }
  if (r.groups.length > 0) {
    lines.push("", table([["GROUP", "MEMBERS"], ...r.groups.map((g) => [g.name, g.members.join(", ") || "-"])]));
  }
  return lines.join("\n");
}
