/** `lockstep status`: versions by stage, pending promotions, rotation due, consumers behind. */
import { type GlobalOptions, openRepo } from "../context.js";
import { out, outJson, paint, table } from "../output.js";

/** Options of `status`. */
export interface StatusOptions extends GlobalOptions {
  env?: string;
  json?: boolean;
}

/** Prints the rollout status of one environment, or all. */
export async function status(o: StatusOptions): Promise<void> {
  const repo = await openRepo(o);
  const envs = await repo.status(o.env);
  if (o.json) return outJson(o.env !== undefined ? envs[0] : envs);
  const warn = (s: string) => paint(process.stdout, "33", s);
  for (const [i, e] of envs.entries()) {
    if (i > 0) out();
    out(paint(process.stdout, "1", e.env));
    if (e.secrets.length === 0) {
      out("  no secrets");
      continue;
    }
    const stages = repo.environment(e.env).config.stages.map((s) => s.name);
    out(
      table([
        ["  SECRET", "LATEST", ...stages.map((s) => s.toUpperCase()), "PENDING", "ROTATION DUE"],
        ...e.secrets.map((s) => [
          `  ${s.id}`,
          String(s.latest),
          ...stages.map((st) => String(s.stages[st] ?? "-")),
          s.pending.map((p) => `v${p.version} -> ${p.stages.join(",")}`).join("; ") || "-",
          s.rotationDue === undefined ? "-" : s.overdue ? warn(`${s.rotationDue} (overdue)`) : s.rotationDue,
        ]),
      ]),
    );
    for (const s of e.secrets) {
      if (!s.finish) continue;
      const when = s.finish.ready ? "finish is due" : `finish from ${s.finish.due}`;
      out(
        `  ${s.id}: the credential of version ${s.finish.previous} still works, waiting for finish since ${s.finish.since} (${when}: lockstep rotate ${s.id} --finish)`,
      );
    }
    const behind = e.consumers.filter((c) => c.behind.length > 0);
    for (const c of e.consumers) {
      if (c.behind.length === 0) out(`  consumer ${c.consumer} (${c.stage}): up to date`);
    }
    for (const c of behind) {
      out(
        `  consumer ${c.consumer} (${c.stage}): behind on ${c.behind.map((b) => `${b.id} v${b.version} < v${b.latest}`).join(", ")}`,
      );
    }
  }
}
