import type { App } from '../../http/app-types.js';
import { CommunityParams, Page, PageQuery, problems } from '../../shared/schemas.js';
import { CreateSurveyBody, ResponseBody, Survey, SurveyParams } from './surveys.schemas.js';

/** Satisfaction surveys (满意度测评): the owners score the steward's service, period by period. */
export async function surveysRoutes(app: App): Promise<void> {
  const { surveys } = app.services;
  const tags = ['surveys'];
  const base = '/v1/communities/:cid/surveys';

  app.post(
    base,
    {
      schema: {
        tags,
        operationId: 'createSurvey',
        summary: 'Ask the owners to score the steward for a period (community admin): 201',
        description: 'Items have distinct keys; closesAt is in the future, else 400 validation_failed.',
        params: CommunityParams,
        body: CreateSurveyBody,
        response: { 201: Survey, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => reply.code(201).send(await surveys.create(request.params.cid, request.principal, request.body)),
  );

  app.post(
    `${base}/:id/responses`,
    {
      schema: {
        tags,
        operationId: 'respondToSurvey',
        summary: 'Score every item 1-5, once (an owner holding a unit): 201 with the survey',
        description: 'A second response, or one after closesAt, is 409 invalid_state; anyone holding no unit gets 403 forbidden.',
        params: SurveyParams,
        body: ResponseBody,
        response: { 201: Survey, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await surveys.respond(request.params.cid, request.principal, request.params.id, request.body)),
  );

  app.get(
    base,
    {
      schema: {
        tags,
        operationId: 'listSurveys',
        summary: 'The community’s surveys, newest first, with their averages: the steward’s scores over time (every member)',
        params: CommunityParams,
        querystring: PageQuery,
        response: { 200: Page(Survey), ...problems(400, 401, 404) },
      },
    },
    async (request) => surveys.list(request.params.cid, request.principal, request.query),
  );

  app.get(
    `${base}/:id`,
    {
      schema: {
        tags,
        operationId: 'getSurvey',
        summary: 'A survey with each item’s average and the response rate (every member)',
        params: SurveyParams,
        response: { 200: Survey, ...problems(401, 404) },
      },
    },
    async (request) => surveys.get(request.params.cid, request.principal, request.params.id),
  );
}
