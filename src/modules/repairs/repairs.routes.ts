import type { App } from '../../http/app-types.js';
import { CommunityParams, Page, problems } from '../../shared/schemas.js';
import { Repair, RepairEventBody, RepairListQuery, RepairParams, ReportRepairBody } from './repairs.schemas.js';

/** Repairs (报事报修): reported by any member, worked by the steward, confirmed by the reporter. */
export async function repairsRoutes(app: App): Promise<void> {
  const { repairs } = app.services;
  const tags = ['repairs'];
  const base = '/v1/communities/:cid/repairs';

  app.post(
    base,
    {
      schema: {
        tags,
        summary: 'Report a repair (any member): 201 with its tracking number, status reported',
        description: 'Photos are attachment ids from POST …/attachments (at most 20, each once; another community’s is 404).',
        params: CommunityParams,
        body: ReportRepairBody,
        response: { 201: Repair, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => reply.code(201).send(await repairs.report(request.params.cid, request.principal, request.body)),
  );

  app.get(
    base,
    {
      schema: {
        tags,
        summary: 'Repairs, oldest first, optionally of one status (every member)',
        params: CommunityParams,
        querystring: RepairListQuery,
        response: { 200: Page(Repair), ...problems(400, 401, 404) },
      },
    },
    async (request) => repairs.list(request.params.cid, request.principal, request.query),
  );

  app.get(
    `${base}/:id`,
    {
      schema: {
        tags,
        summary: 'A repair with its timeline and the spend requests that pay for it (every member)',
        params: RepairParams,
        response: { 200: Repair, ...problems(401, 404) },
      },
    },
    async (request) => repairs.get(request.params.cid, request.principal, request.params.id),
  );

  app.post(
    `${base}/:id/events`,
    {
      schema: {
        tags,
        summary: 'Record a step of the repair: 200 with the repair, its status following the event',
        description:
          '`assigned`, `started`, `done` by a manager; `confirmed` or `reopened` (after done) by the member who reported it or a ' +
          'co-signer; `cancelled` by the reporter while reported. Anyone else: 403 forbidden. Moves: reported→assigned|cancelled, ' +
          'assigned→started, started→done, done→confirmed|reopened, reopened→assigned|started; any other is 409 invalid_state.',
        params: RepairParams,
        body: RepairEventBody,
        response: { 200: Repair, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => repairs.act(request.params.cid, request.principal, request.params.id, request.body),
  );
}
