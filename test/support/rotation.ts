/** Test support for rotation: credentials as the postgres strategy holds them, and failures to look at. */
import { expect } from "vitest";
import { LockstepError } from "../../src/errors.js";

/** A PostgreSQL login, as a secret's JSON value holds it. */
export interface Login {
  username: string;
  password: string;
  host: string;
  port: number;
  database: string;
}

/** The LockstepError a promise rejects with (failing the test if it resolves, or rejects otherwise). */
export async function failure(p: Promise<unknown>): Promise<LockstepError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(LockstepError);
  return e as LockstepError;
}
