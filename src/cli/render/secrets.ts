/** `ls` and `show`: secrets' metadata as tables. */
import type { SecretInfo } from "../../index.js";
import { table } from "../output.js";

/** One line per secret: id, type, newest version, stages, description. */
export function secretsTable(secrets: readonly SecretInfo[]): string {
  if (secrets.length === 0) return "No secrets yet. Create one with: lockstep set ENV/PATH";
  return table([
    ["ID", "TYPE", "LATEST", "STAGES", "DESCRIPTION"],
    ...secrets.map((s) => [
      s.id,
      s.type,
      String(s.latest),
      Object.entries(s.stages)
        .map(([k, v]) => `${k}=${v}`)
        .join(" "),
      s.description ?? "",
    ]),
  ]);
}

/** One secret: its metadata, then its versions. */
export function secretDetails(s: SecretInfo): string {
  const rows: string[][] = [
    ["file", s.file],
    ["type", s.type],
    ...(s.description !== undefined ? [["description", s.description]] : []),
    ...(s.schema !== undefined ? [["schema", s.schema]] : []),
    ...(s.env !== undefined ? [["env", s.env]] : []),
    ...(s.consumers !== undefined ? [["consumers", s.consumers.join(", ")]] : []),
    ["readers", s.readers.join(", ") || "(none)"],
    ["approvers", s.approvers.join(", ") || "(none)"],
    [
      "stages",
      Object.entries(s.stages)
        .map(([k, v]) => `${k} -> ${v}`)
        .join(", "),
    ],
  ];
  return [
    s.id,
    table(rows.map((r) => [`  ${r[0]}`, r[1] ?? ""])),
    "  versions",
    table(
      s.versions.map((v) => [
        `    ${v.version}`,
        v.created,
        [...new Set(v.recipients.map((r) => r.member))].join(", "),
      ]),
    ),
  ].join("\n");
}
