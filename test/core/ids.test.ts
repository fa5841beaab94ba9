import { describe, expect, it } from "vitest";
import { parseDuration } from "../../src/core/duration.js";
import { defaultEnvName, isSecretId, parseSecretId } from "../../src/core/ids.js";
import { LockstepError } from "../../src/errors.js";

describe("secret ids", () => {
  it("splits environment and path", () => {
    expect(parseSecretId("production/db/password")).toEqual({
      id: "production/db/password",
      env: "production",
      path: "db/password",
    });
  });

  it.each(["production", "production/", "/x", "production//x", "production/../x", "prod/a b", "prod/é", "prod/./x"])(
    "refuses %j",
    (id) => {
      expect(isSecretId(id)).toBe(false);
      try {
        parseSecretId(id);
      } catch (e) {
        expect((e as LockstepError).code).toBe("INVALID_ID");
      }
    },
  );

  it.each([
    ["production/x.yaml/y", /may not end in \.yaml/, /collide/],
    ["production/db/password.yaml", /may not end in \.yaml/, /production\/db\/password$/],
    ["production/.git/config", /\.git/, /another name/],
    ["production/a/.GIT", /\.git/, /another name/],
  ])("refuses %j, saying why and what to do", (id, message, fix) => {
    expect(() => parseSecretId(id)).toThrow(
      expect.objectContaining({
        code: "INVALID_ID",
        message: expect.stringMatching(message),
        fix: expect.stringMatching(fix),
      }),
    );
  });

  it("derives variable names from the path", () => {
    expect(defaultEnvName("db/password")).toBe("DB_PASSWORD");
    expect(defaultEnvName("api.v2/token-x")).toBe("API_V2_TOKEN_X");
  });

  it("parses durations", () => {
    expect(parseDuration("90d")).toBe(90 * 86_400_000);
    expect(parseDuration("12h")).toBe(12 * 3_600_000);
    expect(parseDuration("2w")).toBe(14 * 86_400_000);
    expect(() => parseDuration("90 days")).toThrow(LockstepError);
  });
});
