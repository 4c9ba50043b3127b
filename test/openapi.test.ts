import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPENAPI_PATH, openApiDocument } from '../scripts/openapi-document.js';

describe('the committed OpenAPI document', () => {
  it('is what the code generates (run `npm run openapi` after changing a route)', async () => {
    const committed = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8'));
    expect(committed).toEqual(await openApiDocument());
  });

  it('describes every error as a Problem and money as the Money component', async () => {
    const doc = (await openApiDocument()) as any;
    expect(doc.components.schemas.Money).toMatchObject({ type: 'string', pattern: expect.any(String) });
    expect(doc.components.schemas.Problem.properties).toHaveProperty('code');
    const income = doc.paths['/v1/communities/{cid}/income'].post;
    expect(income.requestBody.content['application/json'].schema.properties.amount.$ref).toBe('#/components/schemas/Money');
    expect(Object.keys(income.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '404', '422']));
  });
});
