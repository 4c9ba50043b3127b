import type { App } from '../../http/app-types.js';
import { CommunityParams, Page, PageQuery, problems } from '../../shared/schemas.js';
import { Ballot, BallotBody, BallotList, CreateVoteBody, Vote, VoteParams } from './votes.schemas.js';

/** Owners' votes (业主共同决定, Civil Code art. 278): created, cast, counted exactly, closed by themselves. */
export async function votesRoutes(app: App): Promise<void> {
  const { votes } = app.services;
  const tags = ['votes'];
  const base = '/v1/communities/:cid/votes';

  app.post(
    base,
    {
      schema: {
        tags,
        operationId: 'createVote',
        summary: 'Put a question to the owners (community admin or co-signer): 201, open from opensAt to closesAt',
        description: 'closesAt must be later than opensAt (default now), else 400 validation_failed. Publishes vote.opened.',
        params: CommunityParams,
        body: CreateVoteBody,
        response: { 201: Vote, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => reply.code(201).send(await votes.create(request.params.cid, request.principal, request.body)),
  );

  app.get(
    base,
    {
      schema: {
        tags,
        operationId: 'listVotes',
        summary: 'The community’s votes, newest first, each with its figures (every member)',
        params: CommunityParams,
        querystring: PageQuery,
        response: { 200: Page(Vote), ...problems(400, 401, 404) },
      },
    },
    async (request) => votes.list(request.params.cid, request.principal, request.query),
  );

  app.get(
    `${base}/:id`,
    {
      schema: {
        tags,
        operationId: 'getVote',
        summary: 'A vote with its figures (every member): counted now while open, frozen once closed',
        description:
          'Area is each unit’s areaM2; an owner counts once with their units; a unit held by several owners counts once, by the latest ballot among them. ' +
          'A vote whose closesAt has passed is closed by this read if nobody closed it before.',
        params: VoteParams,
        response: { 200: Vote, ...problems(401, 404) },
      },
    },
    async (request) => votes.get(request.params.cid, request.principal, request.params.id),
  );

  app.post(
    `${base}/:id/ballots`,
    {
      schema: {
        tags,
        operationId: 'castBallot',
        summary: 'Cast or change a ballot (an owner holding a unit): 201; 409 vote_closed outside the window',
        description: 'Each ballot is a new row: the latest counts, every one stays for the audit. Anyone holding no unit gets 403 forbidden.',
        params: VoteParams,
        body: BallotBody,
        response: { 201: Ballot, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await votes.cast(request.params.cid, request.principal, request.params.id, request.body)),
  );

  app.get(
    `${base}/:id/ballots`,
    {
      schema: {
        tags,
        operationId: 'listBallots',
        summary: 'Who voted how, every ballot including changed ones (community admin and supervisor only)',
        params: VoteParams,
        response: { 200: BallotList, ...problems(401, 403, 404) },
      },
    },
    async (request) => votes.ballots(request.params.cid, request.principal, request.params.id),
  );
}
