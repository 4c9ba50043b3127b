import type { App } from '../../http/app-types.js';
import { Page, PageQuery, problems } from '../../shared/schemas.js';
import { Budget, BudgetApprovalBody, BudgetReport, PutBudgetBody, YearParams } from './budgets.schemas.js';

export async function budgetsRoutes(app: App): Promise<void> {
  const { budgets } = app.services;
  const tags = ['budgets'];

  app.put(
    '/v1/communities/:cid/budgets/:year',
    {
      schema: {
        tags,
        summary: "Draft a year's budget (manager or admin)",
        description:
          'Lines on income and expense accounts, amounts >= 0, one line per account. While a draft is open, a PUT rewrites it ' +
          '(same version, new digest; its approvals are void). After approval, a PUT opens the next version as a draft; the ' +
          'approved version stays in force until the new one is approved. Sending the open draft\'s lines again changes nothing.',
        params: YearParams,
        body: PutBudgetBody,
        response: { 200: Budget, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => budgets.draft(request.params.cid, request.principal, request.params.year, request.body),
  );

  app.get(
    '/v1/communities/:cid/budgets/:year',
    {
      schema: {
        tags,
        summary: "A year's budget: its newest version (the open draft if there is one)",
        params: YearParams,
        response: { 200: Budget, ...problems(400, 401, 404) },
      },
    },
    async (request) => budgets.get(request.params.cid, request.principal, request.params.year),
  );

  app.get(
    '/v1/communities/:cid/budgets/:year/versions',
    {
      schema: {
        tags,
        summary: "Every version of a year's budget, oldest first",
        params: YearParams,
        querystring: PageQuery,
        response: { 200: Page(Budget), ...problems(400, 401, 404) },
      },
    },
    async (request) => budgets.versions(request.params.cid, request.principal, request.params.year, request.query.after, request.query.limit ?? 100),
  );

  app.post(
    '/v1/communities/:cid/budgets/:year/approvals',
    {
      schema: {
        tags,
        summary: 'Approve the open draft with your signing password (cosigner)',
        description:
          'Two distinct co-signers (the community\'s requiredApprovals) approve a draft; its drafter never counts (403 self_approval). ' +
          'One approval per co-signer per version (409 already_decided). Pass the digest you read to bind your key to it ' +
          '(409 digest_mismatch when the draft changed). Wrong signing passwords: 403 bad_signing_password, then 429.',
        params: YearParams,
        body: BudgetApprovalBody,
        response: { 200: Budget, ...problems(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request) => budgets.approve(request.params.cid, request.principal, request.params.year, request.body),
  );

  app.get(
    '/v1/communities/:cid/budgets/:year/report',
    {
      schema: {
        tags,
        summary: 'Budget against actuals, per account and month',
        description:
          'Actuals are each account\'s movement in the year in its normal direction, months and year in the community\'s ' +
          'time zone. The budget is that of the newest approved version (the draft while none is approved); `status` is the ' +
          "newest version's. Accounts with activity but no line show a budget of 0.00 and a null executionRate. `totals` " +
          'cover the expense lines; `totalsByType` gives income and expense apart.',
        params: YearParams,
        response: { 200: BudgetReport, ...problems(400, 401, 404) },
      },
    },
    async (request) => budgets.report(request.params.cid, request.principal, request.params.year),
  );
}
