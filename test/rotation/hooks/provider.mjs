// A rotation hook for the tests: a pretend credential store in state.json (the
// credentials that "log in"), following lockstep's hook protocol. It records
// each stdin document, its arguments and its environment in calls.jsonl.
// Usage: node provider.mjs STATE_DIR
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
const doc = JSON.parse(readFileSync(0, "utf8"));
appendFileSync(join(dir, "calls.jsonl"), `${JSON.stringify({ doc, argv: process.argv, env: process.env })}\n`);
const file = join(dir, "state.json");
const valid = new Set(existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : []);
const save = () => writeFileSync(file, JSON.stringify([...valid]));
const fail = (why) => {
  console.error(why);
  process.exit(3);
};
switch (doc.step) {
  case "set":
    if (!valid.has(doc.current.value)) fail(`current credential ${doc.current.value} is not valid`);
    valid.add(doc.pending.value);
    save();
    console.log(`set version ${doc.pending.version}: ${doc.pending.value}`);
    break;
  case "test":
    if (existsSync(join(dir, "fail-test"))) fail(`login with ${doc.pending.value} refused`);
    if (!valid.has(doc.pending.value)) fail("pending credential does not log in");
    break;
  case "undo":
    valid.delete(doc.pending.value);
    save();
    break;
  case "finish":
    valid.delete(doc.previous.value);
    save();
    break;
  default:
    fail(`unexpected step ${doc.step}`);
}
