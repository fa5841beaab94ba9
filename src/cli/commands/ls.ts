/** `lockstep ls`: the secrets, without values. */
import { openRepo } from "../context.js";
import { out, outJson } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { secretsTable } from "../render/secrets.js";

type Ls = typeof commands.ls;

/** Lists secrets (of one environment): id, type, newest version, stages. */
export async function ls([env]: ArgsOf<Ls>, o: OptionsOf<Ls>): Promise<void> {
  const repo = await openRepo(o);
  const secrets = await repo.list(env);
  if (o.json) return outJson(secrets);
  out(secretsTable(secrets));
}
