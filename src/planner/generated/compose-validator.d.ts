/**
 * Types of compose-validator.js, which scripts/build-schema.mjs generates from
 * schema/compose.schema.json (`npm run build`, or `node scripts/build-schema.mjs`).
 * Written by hand because the generated file is not committed.
 */

/** A node of the compose schema, as much of it as the error messages read. */
export interface SchemaNode {
  title?: string;
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  patternProperties?: Record<string, SchemaNode>;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  examples?: unknown[];
  [keyword: string]: unknown;
}

/** One failure, as ajv reports it with `verbose` on and its own messages off. */
export interface SchemaError {
  /** JSON pointer into the document: `/services/web/ports/1`. */
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: {
    additionalProperty?: string;
    missingProperty?: string;
    type?: string | string[];
    allowedValues?: unknown[];
    limit?: number;
    pattern?: string;
    i?: number;
    j?: number;
    passingSchemas?: number | number[] | null;
  };
  /** The node holding the keyword that failed. */
  parentSchema: SchemaNode;
  data: unknown;
}

export interface ComposeValidator {
  (document: unknown): boolean;
  /** The failures of the last call, in schema order; null when it passed. */
  errors: SchemaError[] | null;
}

export declare const validate: ComposeValidator;
export default validate;

/**
 * Where castTypes converts strings: `keys` for named mapping keys, `any` for the other keys
 * of a mapping, `item` for list items, `cast` for the type of the value at this point.
 */
export interface CastNode {
  cast?: 'integer' | 'number' | 'boolean';
  keys?: Record<string, CastNode>;
  any?: CastNode;
  item?: CastNode;
}

export declare const castTree: CastNode;
