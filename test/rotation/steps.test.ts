/**
 * The step runner: order of the steps, undo when set or test fails (never
 * when create fails), and no value in what it reports. The rotator here is a
 * recording one: the real strategies have their own tests (hook.test.ts,
 * postgres.test.ts).
 */
import { describe, expect, it } from "vitest";
import { LockstepError } from "../../src/errors.js";
import { type RotationStep, type Rotator, runFinish, runRotation } from "../../src/rotation/steps.js";
import { failure } from "../support/rotation.js";

const CURRENT = "test-only-current-secret";
const NEW = "test-only-new-secret";
const ADMIN = JSON.stringify({ username: "admin", password: "test-only-admin-pw" });

function recording(failAt?: RotationStep, undoLeft?: string[] | undefined): { rotator: Rotator; steps: string[] } {
  const steps: string[] = [];
  const maybeFail = (step: RotationStep) => {
    steps.push(step);
    // A careless message: the runner must scrub it.
    if (step === failAt) throw new Error(`${step} broke with ${NEW} and ${CURRENT} and test-only-admin-pw`);
  };
  return {
    steps,
    rotator: {
      create: async () => {
        maybeFail("create");
        return { value: NEW, notes: [`made ${NEW}`] };
      },
      set: async () => {
        maybeFail("set");
        return [`set ${NEW} beside ${CURRENT}`];
      },
      test: async () => {
        maybeFail("test");
        return undefined;
      },
      undo: async () => {
        steps.push("undo");
        return undoLeft;
      },
      finish: async () => {
        maybeFail("finish");
        return [`retired ${CURRENT}`];
      },
    },
  };
}

const input = {
  id: "staging/api/token",
  stages: { stable: 7 },
  current: { version: 7, value: CURRENT },
  admin: { id: "staging/api/admin", version: 1, value: ADMIN },
};

describe("rotation steps", () => {
  it("runs create, set, test in order and returns the value with scrubbed notes", async () => {
    const { rotator, steps } = recording();
    const r = await runRotation(rotator, input, 8);
    expect(steps).toEqual(["create", "set", "test"]);
    expect(r).toEqual({
      value: NEW,
      notes: [
        { step: "create", lines: ["made ***"] },
        { step: "set", lines: ["set *** beside ***"] },
      ],
    });
  });

  it("a failing create changes nothing: no undo", async () => {
    const { rotator, steps } = recording("create");
    const e = await failure(runRotation(rotator, input, 8));
    expect(steps).toEqual(["create"]);
    expect(e.code).toBe("ROTATION_FAILED");
    expect(e.message).toBe("rotation step create failed: create broke with test-only-new-secret and *** and ***");
  });

  it("a failing test step runs undo; the error has no value, and says set was undone", async () => {
    const { rotator, steps } = recording("test", []);
    const e = await failure(runRotation(rotator, input, 8));
    expect(steps).toEqual(["create", "set", "test", "undo"]);
    expect(e.message).toBe(
      "rotation step test failed: test broke with *** and *** and *** (nothing was written; set was undone)",
    );
  });

  it("a failing set step runs undo too, and the error lists what undo could not put back", async () => {
    const { rotator, steps } = recording("set", [`the old password (was ${CURRENT})`]);
    const e = await failure(runRotation(rotator, input, 8));
    expect(steps).toEqual(["create", "set", "undo"]);
    expect(e.message).toContain("(nothing was written; set was undone except: the old password (was ***))");
  });

  it("when set changed nothing, the error does not claim an undo", async () => {
    const { rotator } = recording("set", undefined);
    const e = await failure(runRotation(rotator, input, 8));
    expect(e.message).toMatch(/\(nothing was written\)$/);
  });

  it("finish reports scrubbed notes, and scrubbed failures", async () => {
    const ok = recording();
    const finishInput = {
      id: input.id,
      stages: { stable: 8 },
      current: { version: 8, value: NEW },
      previous: { version: 7, value: CURRENT },
    };
    expect(await runFinish(ok.rotator, finishInput)).toEqual([{ step: "finish", lines: ["retired ***"] }]);
    const e = await failure(runFinish(recording("finish").rotator, finishInput));
    expect(e.message).toBe("rotation step finish failed: finish broke with *** and *** and test-only-admin-pw");
  });

  it("keeps a rotator's own LockstepError code, scrubbed", async () => {
    const rotator: Rotator = {
      ...recording().rotator,
      set: async () => {
        throw new LockstepError("INVALID_VALUE", `bad value ${CURRENT}`, { fix: `not ${NEW}` });
      },
    };
    const e = await failure(runRotation(rotator, input, 8));
    expect(e.code).toBe("INVALID_VALUE");
    expect(e.message).toBe("bad value *** (nothing was written)");
    expect(e.fix).toBe("not ***");
  });
});
