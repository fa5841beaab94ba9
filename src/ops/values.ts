/**
 * Checking a value against its secret's type and value schema. Messages
 * describe what is wrong with a value, never the value.
 */
import type { SecretType } from "../core/model.js";
import { LockstepError } from "../errors.js";
import type { RepositoryFiles } from "../storage/layout.js";
import { compileValueSchema, describeValueErrors } from "../storage/schemas.js";

/**
 * Checks that a `json` value parses, and that the value fits its schema.
 * @throws LockstepError `INVALID_VALUE`.
 */
export async function validateValue(
  files: RepositoryFiles,
  id: string,
  value: string,
  type: SecretType,
  schemaName?: string,
): Promise<void> {
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
