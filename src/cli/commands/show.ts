/** `lockstep show`: one secret's metadata, readers and versions; never its value. */
import { type GlobalOptions, openRepo } from "../context.js";
import { out, outJson, table } from "../output.js";

/** Options of `show`. */
export interface ShowOptions extends GlobalOptions {
  id: string;
  json?: boolean;
}

/** Prints a secret's metadata. */
export async function show(o: ShowOptions): Promise<void> {
  const repo = await openRepo(o);
  const s = await repo.show(o.id);
  if (o.json) return outJson(s);
  out(s.id);
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
  out(table(rows.map((r) => [`  ${r[0]}`, r[1] ?? ""])));
  out("  versions");
  out(
    table(
      s.versions.map((v) => [
        `    ${v.version}`,
        v.created,
        [...new Set(v.recipients.map((r) => r.member))].join(", "),
      ]),
    ),
  );
}
