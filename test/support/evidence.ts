import type { App } from '../../src/http/app-types.js';

/** Uploads raw bytes as `who`, the way a phone's browser sends a file; `null` sends no Content-Type. */
export async function upload(app: App, c: { id: string }, who: { token: string }, bytes: Buffer, contentType: string | null) {
  const response = await app.inject({
    method: 'POST',
    url: `/v1/communities/${c.id}/attachments`,
    headers: { authorization: `Bearer ${who.token}`, ...(contentType === null ? {} : { 'content-type': contentType }) },
    payload: bytes,
  });
  return { status: response.statusCode, body: response.json(), headers: response.headers };
}

/** Uploads a file that must be taken, and returns its id. */
export async function evidenceId(app: App, c: { id: string }, who: { token: string }, bytes: Buffer, contentType: string): Promise<string> {
  const reply = await upload(app, c, who, bytes, contentType);
  if (reply.status !== 201) throw new Error(`upload: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.id as string;
}
