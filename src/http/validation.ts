import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * Two validators. Bodies are JSON and are checked exactly as sent: no type coercion (a JSON
 * number is not a money string), no silent dropping of unknown fields, defaults filled in.
 * Path, query and header values arrive as text, so those may be coerced (`limit=10`).
 */
export function validatorCompiler(shared: TSchema[]): FastifySchemaCompiler<TSchema> {
  const base: Options = { allErrors: false, useDefaults: true, strict: false, removeAdditional: false };
  const bodies = addFormats(new Ajv({ ...base, coerceTypes: false }));
  const params = addFormats(new Ajv({ ...base, coerceTypes: 'array' }));
  for (const schema of shared) {
    bodies.addSchema(schema);
    params.addSchema(schema);
  }
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? bodies : params;
    return ajv.compile(schema) as ReturnType<FastifySchemaCompiler<TSchema>>;
  };
}
