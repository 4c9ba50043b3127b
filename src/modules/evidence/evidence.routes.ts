import { Type } from 'typebox';
import type { App } from '../../http/app-types.js';
import { validatorCompiler } from '../../http/validation.js';
import { validationFailed } from '../../shared/errors.js';
import { CommunityParams, problems, sharedSchemas } from '../../shared/schemas.js';
import { Attachment, ATTACHMENT_TYPES, AttachmentParams, MAX_ATTACHMENT_BYTES, type AttachmentType } from './evidence.schemas.js';

const EXTENSIONS: Record<AttachmentType, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'application/pdf': 'pdf',
};

/**
 * The bytes of an attachment are served so that no browser treats them as anything but what
 * they are: no sniffing, and a policy under which even a crafted file runs nothing, loads
 * nothing and cannot be framed by another site. Images are also sandboxed; a PDF is not,
 * because browsers refuse to show a PDF in a sandboxed document at all.
 */
function bytesPolicy(type: AttachmentType): string {
  const base = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";
  return type === 'application/pdf' ? base : `${base}; sandbox`;
}

/**
 * Evidence upload and download. The upload's body is the raw file: this plugin has parsers
 * for the four accepted types only (its own encapsulated context, so every other route keeps
 * its JSON parser and 1 MiB limit), and the upload route alone takes up to 10 MiB.
 */
export async function evidenceRoutes(app: App): Promise<void> {
  const { evidence } = app.services;
  const tags = ['evidence'];
  const base = '/v1/communities/:cid/attachments';

  app.removeAllContentTypeParsers();
  app.addContentTypeParser([...ATTACHMENT_TYPES], { parseAs: 'buffer', bodyLimit: MAX_ATTACHMENT_BYTES }, (_request, body, done) => done(null, body));
  // Any other type is refused before its body is read, with the list of what is accepted.
  app.addContentTypeParser('*', (request, _payload, done) =>
    done(validationFailed(`Content-Type must be one of ${ATTACHMENT_TYPES.join(', ')}, not ${request.headers['content-type'] ?? 'none'}`), undefined),
  );

  // The body is bytes, checked by the service (type, magic bytes, emptiness); the schema below
  // only documents it, so the body skips validation while the path is checked as everywhere.
  const checks = validatorCompiler(sharedSchemas);
  app.post(
    base,
    {
      bodyLimit: MAX_ATTACHMENT_BYTES,
      validatorCompiler: (route) => (route.httpPart === 'body' ? () => true : checks(route)),
      schema: {
        tags,
        summary: 'Upload a file of evidence (any member): the raw bytes as the body, at most 10 MiB',
        description:
          'The body is the file itself, with `Content-Type` image/jpeg, image/png, image/webp or application/pdf. The content must ' +
          'be of the declared type (checked by its first bytes); any other or no type, an empty body or a mismatch is 400 ' +
          'validation_failed, more than 10 MiB is 413 payload_too_large. EXIF and XMP metadata (a photo’s GPS position among it) ' +
          'are removed from JPEG, PNG and WebP before the file is stored; `sha256` and `size` describe the stored bytes, and a file ' +
          'with nothing to remove is stored exactly as sent. Stored files never change and are never deleted.',
        consumes: [...ATTACHMENT_TYPES],
        params: CommunityParams,
        body: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'The raw file' }),
        response: { 201: Attachment, ...problems(400, 401, 403, 404, 413) },
      },
    },
    async (request, reply) => {
      const created = await evidence.upload(request.params.cid, request.principal, request.headers['content-type'], request.body);
      reply.header('location', `/v1/communities/${request.params.cid}/attachments/${created.id}`);
      return reply.code(201).send(created);
    },
  );

  app.get(
    `${base}/:id`,
    {
      schema: {
        tags,
        summary: 'The bytes of an attachment, with their type (any member)',
        description:
          'Served `inline` with `X-Content-Type-Options: nosniff` and a Content-Security-Policy that lets the file run and load ' +
          'nothing. The bytes never change: the answer may be cached (privately) for good, and `ETag` is the SHA-256.',
        params: AttachmentParams,
        response: {
          200: {
            description: 'The file',
            content: Object.fromEntries(ATTACHMENT_TYPES.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])),
          },
          304: { description: 'The copy you hold (If-None-Match) is current', type: 'null' },
          ...problems(401, 404),
        },
      },
    },
    async (request, reply) => {
      const file = await evidence.read(request.params.cid, request.principal, request.params.id);
      const etag = `"${file.sha256}"`;
      reply
        .header('etag', etag)
        .header('cache-control', 'private, max-age=31536000, immutable')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', bytesPolicy(file.contentType))
        .header('content-disposition', `inline; filename="${request.params.id}.${EXTENSIONS[file.contentType]}"`);
      if (request.headers['if-none-match'] === etag) return reply.code(304).send(null);
      return reply.type(file.contentType).send(file.bytes);
    },
  );
}
