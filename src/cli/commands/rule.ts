/** `lockstep rule add`, `rule rm` and `rule ls`: the access rules of access.yaml. */
import { openRepo } from "../context.js";
import { out, outJson } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { describeRuleChange, describeRules } from "../render/rules.js";

type Add = typeof commands.ruleAdd;
type Rm = typeof commands.ruleRm;
type Ls = typeof commands.ruleLs;

/** `--readers`, `--approvers` and `--commit` as the library takes them. */
function ruleOptions(o: { readers?: string[]; approvers?: string[]; commit?: true }) {
  return {
    ...(o.readers !== undefined && { readers: o.readers }),
    ...(o.approvers !== undefined && { approvers: o.approvers }),
    ...(o.commit !== undefined && { commit: o.commit }),
  };
}

/** Adds a rule, or names to the rule of that match. */
export async function ruleAdd([match]: ArgsOf<Add>, o: OptionsOf<Add>): Promise<void> {
  const repo = await openRepo(o);
  out(describeRuleChange(await repo.addRule(match, ruleOptions(o))));
}

/** Removes the rule of that match, or names from it. */
export async function ruleRm([match]: ArgsOf<Rm>, o: OptionsOf<Rm>): Promise<void> {
  const repo = await openRepo(o);
  out(describeRuleChange(await repo.removeRule(match, ruleOptions(o))));
}

/** Lists the rules (or those that decide one secret's readers). */
export async function ruleLs([id]: ArgsOf<Ls>, o: OptionsOf<Ls>): Promise<void> {
  const repo = await openRepo(o);
  const report = await repo.rules(id);
  if (o.json) return outJson(report);
  out(describeRules(report));
}
