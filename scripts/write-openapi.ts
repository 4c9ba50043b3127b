import { writeFile } from 'node:fs/promises';
import { OPENAPI_PATH, openApiDocument } from './openapi-document.js';

/** `npm run openapi`: regenerates openapi/openapi.json; the test run fails when it is stale. */
await writeFile(OPENAPI_PATH, `${JSON.stringify(await openApiDocument(), null, 2)}\n`);
process.stdout.write(`wrote ${OPENAPI_PATH.pathname}\n`);
