import type { App } from '../../http/app-types.js';
import { CommunityParams, Page, PageQuery, problems } from '../../shared/schemas.js';
import {
  Community,
  CreateCommunityBody,
  CreateMemberBody,
  CreateUnitBody,
  Me,
  MemberResponse,
  PolicyBody,
  Unit,
} from './communities.schemas.js';

export async function communitiesRoutes(app: App): Promise<void> {
  const communities = app.services.communities;

  app.get(
    '/v1/me',
    { schema: { tags: ['communities'], summary: 'Who I am and where I belong', response: { 200: Me, ...problems(401) } } },
    async (request) => {
      const me = await communities.me(request.principal);
      return request.webSession ? { ...me, csrfToken: request.webSession.csrfToken } : me;
    },
  );

  app.post(
    '/v1/communities',
    {
      schema: {
        tags: ['communities'],
        summary: 'Create a community with its default chart of accounts (platform admin)',
        body: CreateCommunityBody,
        response: { 201: Community, ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => reply.code(201).send(await communities.createCommunity(request.principal, request.body)),
  );

  app.get(
    '/v1/communities/:cid',
    {
      schema: {
        tags: ['communities'],
        summary: 'A community and its policy',
        params: CommunityParams,
        response: { 200: Community, ...problems(401, 404) },
      },
    },
    async (request) => communities.getCommunity(request.params.cid, request.principal),
  );

  app.put(
    '/v1/communities/:cid/policy',
    {
      schema: {
        tags: ['communities'],
        summary: 'Set the policy (community admin): the co-signer keys a payout or budget needs (never below 2), the amount above which a spend needs a passed owners’ vote',
        description: 'Takes any subset of the fields; those not given keep their value.',
        params: CommunityParams,
        body: PolicyBody,
        response: { 200: Community, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => communities.setPolicy(request.params.cid, request.principal, request.body),
  );

  app.post(
    '/v1/communities/:cid/members',
    {
      schema: {
        tags: ['communities'],
        summary: 'Add a member (platform admin or community admin)',
        description: 'A cosigner must have a signingPassword distinct from the login password; it is never returned.',
        params: CommunityParams,
        body: CreateMemberBody,
        response: { 201: MemberResponse, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await communities.addMember(request.params.cid, request.principal, request.body)),
  );

  app.get(
    '/v1/communities/:cid/members',
    {
      schema: {
        tags: ['communities'],
        summary: 'The members of a community',
        params: CommunityParams,
        querystring: PageQuery,
        response: { 200: Page(MemberResponse), ...problems(400, 401, 404) },
      },
    },
    async (request) =>
      communities.listMembers(request.params.cid, request.principal, request.query.after, request.query.limit ?? 100),
  );

  app.post(
    '/v1/communities/:cid/units',
    {
      schema: {
        tags: ['communities'],
        summary: 'Add a unit (platform admin or community admin)',
        params: CommunityParams,
        body: CreateUnitBody,
        response: { 201: Unit, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await communities.addUnit(request.params.cid, request.principal, request.body)),
  );

  app.get(
    '/v1/communities/:cid/units',
    {
      schema: {
        tags: ['communities'],
        summary: 'The units of a community',
        params: CommunityParams,
        querystring: PageQuery,
        response: { 200: Page(Unit), ...problems(400, 401, 404) },
      },
    },
    async (request) => communities.listUnits(request.params.cid, request.principal, request.query.after, request.query.limit ?? 100),
  );
}

