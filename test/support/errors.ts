/** What a promise that should fail with a LockstepError failed with. */
import { LockstepError } from "../../src/errors.js";

/** The LockstepError a promise rejects with; any other outcome fails the test. */
export async function errorOf(p: Promise<unknown>): Promise<LockstepError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof LockstepError) return e;
    throw e;
  }
  throw new Error("expected a LockstepError, and the promise resolved");
}

/** The code of the LockstepError a promise rejects with, or `resolved`. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    return (await errorOf(p)).code;
  } catch (e) {
    if (e instanceof Error && e.message.startsWith("expected a LockstepError")) return "resolved";
    throw e;
  }
}
