/** `lockstep keygen`: a new age identity. */
import { note } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";

type Keygen = typeof commands.keygen;

/** Writes the identity to `-o FILE` (0600, never over a file) or stdout; the recipient to stderr. */
export async function keygen(_args: ArgsOf<Keygen>, o: OptionsOf<Keygen>): Promise<void> {
  const { keygen } = await import("../../index.js");
  const key = await keygen({
    ...(o.output !== undefined && { output: o.output }),
    pq: o.pq === true,
  });
  if (key.identity !== undefined) process.stdout.write(key.identity);
  note(`Public key: ${key.recipient}`);
}
