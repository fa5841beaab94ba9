/**
 * Checking a value against its secret's type and value schema. Messages
 * describe what is wrong with a value, never the value.
 */
import { utf8Text } from "../core/bytes.js";
import type { SecretType } from "../core/model.js";
import { LockstepError } from "../errors.js";
import type { RepositoryFiles } from "../storage/layout.js";
import { compileValueSchema, describeValueErrors } from "../storage/schemas.js";

/**
 * Checks that a `json` value parses, and that the value fits its schema.
 * A value that is not UTF-8 text is bytes: a `string` secret without a
 * schema holds it; JSON and schemas apply to text only.
 * @throws LockstepError `INVALID_VALUE`.
 */
export async function validateValue(
  files: RepositoryFiles,
  id: string,
  bytes: Uint8Array | string,
  type: SecretType,
  schemaName?: string,
): Promise<void> {
  const value = typeof bytes === "string" ? bytes : utf8Text(bytes);
  if (value === undefined) {
    if (type === "string" && schemaName === undefined) return;
    throw new LockstepError(
      "INVALID_VALUE",
      `${id}: the value is not UTF-8 text, so it cannot be ${type === "json" ? "JSON (type: json)" : `checked against schema "${schemaName}"`}`,
      { fix: "store bytes as a string secret without a value schema" },
    );
  }
  let parsed: unknown = value;
  if (type === "json") {
    try {
      parsed = JSON.parse(value);
    } catch {
      // No cause: the parser's message quotes the value around the fault.
      throw new LockstepError("INVALID_VALUE", `${id}: the value is not valid JSON (type: json)`, {
        fix: "pass a JSON document, or use --type string",
      });
    }
  }
  if (schemaName === undefined) return;
  const validate = await compileValueSchema(await files.readValueSchema(schemaName));
  if (!validate(parsed)) {
    const problems = describeValueErrors(validate.errors);
    throw new LockstepError("INVALID_VALUE", `${id}: the value breaks schema "${schemaName}": ${problems.join("; ")}`, {
      file: `schemas/${schemaName}.schema.json`,
      fix: "pass a value that fits the schema",
    });
  }
}
