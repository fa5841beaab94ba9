/** `lockstep ls`: the secrets, without values. */
import { type GlobalOptions, openRepo } from "../context.js";
import { out, outJson, table } from "../output.js";

/** Options of `ls`. */
export interface LsOptions extends GlobalOptions {
  env?: string;
  json?: boolean;
}

/** Lists secrets (of one environment): id, type, newest version, stages. */
export async function ls(o: LsOptions): Promise<void> {
  const repo = await openRepo(o);
  const secrets = await repo.list(o.env);
  if (o.json) return outJson(secrets);
  if (secrets.length === 0) return out("No secrets yet. Create one with: lockstep set ENV/PATH");
  out(
    table([
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
    ]),
  );
}
