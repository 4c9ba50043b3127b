import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { scriptArb, worldArb, type Op, type WorldSpec } from './support/model/commands.js';
import { observe, observeRequest } from './support/model/observe.js';
import { createWorld, strangers, type Strangers } from './support/model/world.js';

/**
 * A model check of the books. Each run builds a fresh community (its fee rate, time zone,
 * keys needed and units drawn at random) and drives a random sequence of commands through
 * the API: income, spend requests on expense accounts and on the steward's remuneration,
 * keys turned by random people (co-signers, the submitter, people holding no key, outsiders),
 * rejections, cancellations, payouts, reversals, fee rates, billing runs, fee payments and
 * budgets. A reference model (test/support/model, plain TypeScript over decimal.js) predicts
 * every answer; after every step the fund, every account, the count of entries, each
 * request, each unit's statement, the budget and its report must match it, the hash chain
 * must verify, and a refused command must leave the books exactly as they were.
 *
 * Commands are drawn alone or as short stories (a request's submission, keys and payout; a
 * fee rate, billing run, payments and the next run; a budget draft and its keys) so that
 * runs reach the later steps often; each is still an ordinary command with random actors.
 * The budget and its report are read once the model knows a budget (or after a budget
 * command); before that the model says there is none and nothing could have made one.
 *
 * PROPERTY_RUNS (default 100) and PROPERTY_STEPS (default 30) size the check; a failure
 * prints the command that replays it (PROPERTY_SEED, PROPERTY_PATH). PROPERTY_SHRINKS
 * bounds shrinking (default 60 attempts, each a whole run); PROPERTY_TALLY=1 prints how
 * often each command was accepted or refused, and with which code.
 */

const RUNS = Number(process.env.PROPERTY_RUNS ?? 100);
const MAX_STEPS = Number(process.env.PROPERTY_STEPS ?? 30);
const SEED = process.env.PROPERTY_SEED === undefined ? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0 : Number(process.env.PROPERTY_SEED);
const PATH = process.env.PROPERTY_PATH;
/** Shrinking replays whole runs against the database; past this many attempts the failure is reported as found. */
const MAX_SHRINKS = Number(process.env.PROPERTY_SHRINKS ?? 60);

/** How often each command was accepted or refused (by code), printed after the runs: what the check exercised. */
const tally = new Map<string, number>();
const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);

let h: Harness;
let known: Strangers;
beforeAll(async () => {
  h = await startHarness();
  known = await strangers(h.app);
});
afterAll(() => h?.close());

async function run(spec: WorldSpec, drawn: Op[]): Promise<void> {
  const ops: Op[] = spec.opening === null ? drawn : [{ kind: 'income', by: 'manager', category: 'other', amount: spec.opening }, ...drawn];
  const world = await createWorld(h.app, spec, known);
  const { model } = world;
  let before = await observe(world);
  expect(before.view, 'a new community').toEqual(model.view());

  for (const [i, op] of ops.entries()) {
    const plan = model.plan(op);
    if (!plan) {
      count(`${op.kind} (nothing to act on)`);
      continue;
    }
    const where = `step ${i + 1} of ${ops.length}: ${plan.describe}`;
    const reply = await world.send(plan.call);
    expect({ status: reply.status, code: reply.body?.code }, `${where}\n${reply.text}`).toEqual({ status: plan.expect.status, code: plan.expect.code });
    if (plan.expect.body) expect(reply.body, where).toMatchObject(plan.expect.body);
    plan.commit?.(reply.body);
    count(`${op.kind} ${plan.expect.code ?? plan.expect.status}`);

    const after = await observe(world, op.kind === 'draft-budget' || op.kind === 'approve-budget');
    expect(after.view, where).toEqual(model.view());
    // A refusal changes nothing at all, down to the ledger head.
    if (!plan.commit) expect(after, `${where} (refused, yet the books changed)`).toEqual(before);
    const touched = plan.request?.();
    if (touched) expect(await observeRequest(world, touched), where).toEqual(model.requestView(touched));
    before = after;
  }

  for (const request of model.state.requests) {
    expect(await observeRequest(world, request.id), 'at the end').toEqual(model.requestView(request.id));
  }
}

describe('the books against a reference model', () => {
  it(
    'answer every command as the model predicts and agree with it after every step; refusals change nothing',
    async () => {
      const property = fc.asyncProperty(worldArb, fc.limitShrink(scriptArb(Math.min(10, MAX_STEPS), MAX_STEPS), MAX_SHRINKS), run);
      try {
        await fc.assert(property, { numRuns: RUNS, seed: SEED, verbose: true, ...(PATH ? { path: PATH } : {}) });
      } catch (error) {
        const path = /path: ?"?([0-9:]+)/.exec(String((error as Error).message))?.[1];
        const replay = `PROPERTY_SEED=${SEED}${path ? ` PROPERTY_PATH=${path}` : ''} npx vitest run test/ledger.properties.test.ts`;
        console.error(`The model check failed. Replay it with:\n  ${replay}`);
        (error as Error).message = `Replay: ${replay}\n${(error as Error).message}`;
        throw error;
      } finally {
        if (process.env.PROPERTY_TALLY) console.info([...tally.entries()].sort().map(([key, n]) => `${key}: ${n}`).join('\n'));
      }
    },
    15 * 60_000,
  );
});
