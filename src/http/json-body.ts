import type { FastifyInstance } from 'fastify';
import { validationFailed } from '../shared/errors.js';

/** Deeper than any body of the contract needs, shallow enough that no walk over it can overflow. */
export const MAX_JSON_DEPTH = 32;

/**
 * JSON bodies are bounded in depth as well as in size. A body nested thousands of levels deep
 * is valid JSON, but every recursive walk over it (validation, our own checks) would overflow
 * the stack and answer 500; so the text is measured before it is parsed, and refused with a
 * clear 400. Parsing itself stays Fastify's, with its guards against prototype poisoning.
 */
export function boundJsonDepth(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (nestingDepth(text) > MAX_JSON_DEPTH) {
      done(validationFailed(`The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep`), undefined);
      return;
    }
    parse(request, text, done);
  });
}

/** The deepest nesting of arrays and objects in a JSON text, counting brackets outside strings. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return deepest;
}
