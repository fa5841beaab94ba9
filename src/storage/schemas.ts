/**
 * JSON Schema validation: lockstep's own file schemas (`schemas/`), compiled
 * to standalone code at build time (scripts/build-validators.js), and value
 * schemas that a secrets repository keeps for its secrets, compiled by ajv
 * when used.
 */
import type { Ajv, ErrorObject, ValidateFunction } from "ajv";
import * as generated from "./validators.generated.js";

/** The files lockstep validates. */
export type FileSchema = "lockstep" | "access" | "secret";

/** The validator of one of lockstep's file schemas. */
export function fileValidator(schema: FileSchema): ValidateFunction {
  return (generated as unknown as Record<FileSchema, ValidateFunction>)[schema];
}

/** Compiles a value schema (with ajv-formats' formats). */
export async function compileValueSchema(schema: object): Promise<ValidateFunction> {
  const [ajvModule, formats] = await Promise.all([import("ajv"), import("ajv-formats")]);
  // CommonJS through ESM (and through the bundle): the class may sit on the module or on its default export.
  const m = ajvModule as unknown as { Ajv?: typeof Ajv; default?: { Ajv?: typeof Ajv } & typeof Ajv };
  const AjvClass = m.Ajv ?? m.default?.Ajv ?? (m.default as typeof Ajv);
  const ajv = new AjvClass({ allErrors: true, strict: false });
  // ajv-formats is CommonJS; its default export arrives wrapped under ESM.
  const plugin = (formats as unknown as { default: unknown }).default as { default?: (a: unknown) => unknown } & ((
    a: unknown,
  ) => unknown);
  (plugin.default ?? plugin)(ajv);
  return ajv.compile(schema);
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

/**
 * One schema violation of a value, in words taken from the schema only:
 * where, as the schema names it (`schemaPath`: property names the schema
 * declares, `[]` for an item), and ajv's message, which quotes the schema
 * and never the data. The value's own keys and items (`instancePath`, an
 * additional property's name) are part of the value, and stay out.
 */
function describeViolation(e: ErrorObject): string {
  const parts = e.schemaPath.replace(/^#\/?/, "").split("/").slice(0, -1);
  const where: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === "properties" && parts[i + 1] !== undefined)
      where.push((parts[++i] as string).replace(/~1/g, "/").replace(/~0/g, "~"));
    else if (p === "items" || p === "prefixItems" || p === "additionalItems" || p === "contains") where.push("[]");
    else if (p === "additionalProperties" || p === "patternProperties") {
      where.push("(another key)");
      if (p === "patternProperties") i++;
    }
  }
  const at = where.length === 0 ? "the value" : `the value at ${where.join(".").replace(/\.\[\]/g, "[]")}`;
  return `${at} ${e.message ?? "is invalid"}`;
}

/** A value's schema violations, as {@link describeViolation} words them: never a part of the value. */
export function describeValueErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map(describeViolation);
}
