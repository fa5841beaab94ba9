/** `lockstep status`: versions by stage, pending promotions, rotation due, consumers behind. */
import { openRepo } from "../context.js";
import { out, outJson } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { statusText } from "../render/status.js";
import { statusMarkdown } from "../render/status-markdown.js";

type Status = typeof commands.status;

/** Prints the rollout status of one environment, or all. */
export async function status([env]: ArgsOf<Status>, o: OptionsOf<Status>): Promise<void> {
  const repo = await openRepo(o);
  const envs = await repo.status(env);
  if (o.json || o.format === "json") return outJson(env !== undefined ? envs[0] : envs);
  if (o.format === "markdown") {
    const stages = (name: string) => repo.config.environments[name]?.stages ?? [];
    process.stdout.write(statusMarkdown(envs.map((s) => ({ status: s, stages: stages(s.env) }))));
    return;
  }
  const text = statusText(envs, repo.config);
  if (text !== "") out(text);
}
