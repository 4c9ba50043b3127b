import type { App } from '../../http/app-types.js';
import { CommunityParams, Page, problems } from '../../shared/schemas.js';
import { AnswerBody, Challenge, ChallengeListQuery, ChallengeParams, OpenChallengeBody } from './challenges.schemas.js';

/** Challenges (质询): public questions on the books, answered by the steward within seven days. */
export async function challengesRoutes(app: App): Promise<void> {
  const { challenges } = app.services;
  const tags = ['challenges'];
  const base = '/v1/communities/:cid/challenges';

  app.post(
    base,
    {
      schema: {
        tags,
        summary: 'Ask a public question about an entry, a spend request or a budget (any member): 201, open, due in 7 days',
        description: 'A subject that does not exist in this community is 404 not_found; a budget’s id is its year.',
        params: CommunityParams,
        body: OpenChallengeBody,
        response: { 201: Challenge, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => reply.code(201).send(await challenges.open(request.params.cid, request.principal, request.body)),
  );

  app.post(
    `${base}/:id/answer`,
    {
      schema: {
        tags,
        summary: 'Answer a question (manager): 200, answered; a second answer is 409 invalid_state',
        params: ChallengeParams,
        body: AnswerBody,
        response: { 200: Challenge, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => challenges.answer(request.params.cid, request.principal, request.params.id, request.body),
  );

  app.get(
    base,
    {
      schema: {
        tags,
        summary: 'Questions and answers, oldest first, optionally open, answered or overdue (every member)',
        params: CommunityParams,
        querystring: ChallengeListQuery,
        response: { 200: Page(Challenge), ...problems(400, 401, 404) },
      },
    },
    async (request) => challenges.list(request.params.cid, request.principal, request.query),
  );

  app.get(
    `${base}/:id`,
    {
      schema: { tags, summary: 'One question with its answer (every member)', params: ChallengeParams, response: { 200: Challenge, ...problems(401, 404) } },
    },
    async (request) => challenges.get(request.params.cid, request.principal, request.params.id),
  );
}
