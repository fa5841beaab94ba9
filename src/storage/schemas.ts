/**
 * JSON Schema validation with ajv: the repository's own file schemas (shipped
 * in the package's `schemas/`), compiled once per process on first use, and
 * value schemas that a secrets repository keeps for its secrets.
 */
import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsPlugin from "ajv-formats";

/** The files lockstep validates. */
export type FileSchema = "lockstep" | "access" | "secret";

const SCHEMA_DIR = new URL("../../schemas/", import.meta.url);
const compiled = new Map<FileSchema, ValidateFunction>();
let ajv: Ajv | undefined;

function instance(): Ajv {
  if (!ajv) {
    ajv = new Ajv({ allErrors: true, strict: false });
    // ajv-formats is CommonJS; its default export arrives wrapped under ESM.
    const plugin = addFormatsPlugin as unknown as { default?: (a: Ajv) => Ajv } & ((a: Ajv) => Ajv);
    (plugin.default ?? plugin)(ajv);
  }
  return ajv;
}

/** The compiled validator of one of lockstep's file schemas. */
export function fileValidator(schema: FileSchema): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    const json = JSON.parse(readFileSync(new URL(`${schema}.schema.json`, SCHEMA_DIR), "utf8")) as object;
    v = instance().compile(json);
    compiled.set(schema, v);
  }
  return v;
}

/** Compiles a value schema (not cached: each is used for one secret). */
export function compileValueSchema(schema: object): ValidateFunction {
  return instance().compile(schema);
}

/** One schema violation, located by JSON pointer. */
export interface SchemaViolation {
  /** Path of keys and indexes to the offending node. */
  path: (string | number)[];
  message: string;
}

/** Turns ajv's errors into plain sentences, one per violation. */
export function describeErrors(errors: readonly ErrorObject[] | null | undefined): SchemaViolation[] {
  return (errors ?? []).map((e) => {
    const path = e.instancePath
      .split("/")
      .slice(1)
      .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    const where = e.instancePath === "" ? "the document" : path.join(".");
    const p = e.params as Record<string, unknown>;
    let message: string;
    switch (e.keyword) {
      case "additionalProperties":
        message = `${where} has an unknown key "${String(p.additionalProperty)}"`;
        path.push(String(p.additionalProperty));
        break;
      case "required":
        message = `${where} is missing the required key "${String(p.missingProperty)}"`;
        break;
      case "enum":
        message = `${where} must be one of: ${(p.allowedValues as unknown[]).join(", ")}`;
        break;
      case "propertyNames":
        message = `${where} has a key "${String(p.propertyName)}" that is not a valid name`;
        break;
      default:
        message = `${where} ${e.message ?? "is invalid"}`;
    }
    return { path, message };
  });
}
