import type { App } from '../../../src/http/app-types.js';
import { adminLogin, fund, setupCommunity, type Community, type Person } from '../harness.js';
import { addUnits, billPeriod, pay, setRate } from '../fees.js';
import { submit, twoKeys } from '../spending.js';
import type { Pool } from './schema-arbitrary.js';

/** Who sends a fuzzed request. Every name but the last three is a real, logged-in user. */
export const ROLES = ['manager', 'cosigner', 'owner', 'supervisor', 'communityAdmin', 'platformAdmin', 'outsider', 'none', 'garbage'] as const;
export type RoleName = (typeof ROLES)[number];

/** A community with books worth fuzzing: units, bills, payments, income, requests in every state, a budget. */
export interface Books {
  community: Community;
  unitOwner: Person;
  communityAdmin: Person;
  unitIds: string[];
  entryIds: string[];
  spendIds: string[];
  digests: string[];
  budgetDigest: string;
  trackingNos: string[];
  attachmentIds: string[];
  repairIds: string[];
  cursors: string[];
}

export interface World {
  /** The community most requests are about. */
  home: Books;
  /** Another community: its ids are sent to the home community's routes, its manager is the outsider. */
  foreign: Books;
  platformAdminToken: string;
  /** Real values by field or parameter name; see `Pool`. */
  pools(name: string): Pool | undefined;
  /** A bearer token, or a whole Authorization header for `garbage`, per role. */
  authorization(role: RoleName, cosigner: number, garbage: number): string | undefined;
}

export const GARBAGE_AUTHORIZATIONS = (validToken: string): string[] => [
  'Bearer garbage',
  'Bearer ',
  'Bearer',
  `Bearer ${validToken.slice(0, -2)}${validToken.endsWith('AA') ? 'BB' : 'AA'}`,
  `Bearer ${validToken}.${validToken}`,
  `Basic ${Buffer.from('admin:admin').toString('base64')}`,
  `bearer  ${validToken} trailing`,
  `Bearer ${'x'.repeat(5000)}`,
  'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.',
];

/** Builds the two communities the fuzz runs against, each with a little of everything. */
export async function buildWorld(app: App): Promise<World> {
  const [home, foreign, platformAdminToken] = await Promise.all([seedBooks(app, 'home'), seedBooks(app, 'foreign'), adminLogin(app)]);
  const c = home.community;
  const people = (b: Books) => [b.community.manager, ...b.community.cosigners, b.community.owner, b.community.supervisor, b.unitOwner, b.communityAdmin];
  const pool = (pick: (b: Books) => unknown[]): Pool => ({ home: pick(home), foreign: pick(foreign) });
  const byName: Record<string, Pool> = {
    cid: pool((b) => [b.community.id]),
    'entries/{id}': pool((b) => b.entryIds),
    'spend-requests/{id}': pool((b) => b.spendIds),
    id: pool((b) => [...b.spendIds, ...b.entryIds]),
    uid: pool((b) => b.unitIds),
    unitId: pool((b) => b.unitIds),
    unitIds: pool((b) => b.unitIds),
    trackingNo: pool((b) => b.trackingNos),
    'attachments/{id}': pool((b) => b.attachmentIds),
    attachments: pool((b) => b.attachmentIds),
    'repairs/{id}': pool((b) => b.repairIds),
    repairId: pool((b) => b.repairIds),
    digest: pool((b) => [...b.digests, b.budgetDigest]),
    signingPassword: pool((b) => b.community.cosigners.map((p) => p.signingPassword!)),
    username: pool((b) => people(b).map((p) => p.username)),
    password: pool((b) => people(b).map((p) => p.password)),
    after: pool((b) => b.cursors),
    year: { home: [2026, 2025, 2027], foreign: [] },
    budgetYear: { home: [2026], foreign: [] },
    account: { home: ['5105', '5101', '5102', '5199', '2201', '1001', '4101', '4001', '3001'], foreign: [] },
    'lines.account': { home: ['5105', '5101', '5102', '5199', '4101', '4001', '2201'], foreign: [] },
    period: { home: ['2026-01', '2026-02', '2026-12', '2025-12'], foreign: [] },
    // Zones at the edges: fourteen hours ahead, twelve behind, a quarter hour, a half hour.
    timezone: { home: ['Asia/Shanghai', 'Pacific/Kiritimati', 'Etc/GMT+12', 'Asia/Kathmandu', 'America/St_Johns', 'UTC'], foreign: [] },
  };
  return {
    home,
    foreign,
    platformAdminToken,
    pools: (name) => byName[name],
    authorization(role, cosigner, garbage) {
      switch (role) {
        case 'manager':
          return `Bearer ${c.manager.token}`;
        case 'cosigner':
          return `Bearer ${c.cosigners[cosigner % 3]!.token}`;
        case 'owner':
          return `Bearer ${home.unitOwner.token}`;
        case 'supervisor':
          return `Bearer ${c.supervisor.token}`;
        case 'communityAdmin':
          return `Bearer ${home.communityAdmin.token}`;
        case 'platformAdmin':
          return `Bearer ${platformAdminToken}`;
        case 'outsider':
          return `Bearer ${foreign.community.manager.token}`;
        case 'none':
          return undefined;
        case 'garbage': {
          const all = GARBAGE_AUTHORIZATIONS(c.manager.token);
          return all[garbage % all.length];
        }
      }
    },
  };
}

async function seedBooks(app: App, label: string): Promise<Books> {
  const community = await setupCommunity(app, { managementFeeRate: '0.08' });
  const unitIds = await addUnits(community, [
    { code: `${label}-1-101`, building: '1', areaM2: '89.50' },
    { code: `${label}-2-201`, building: '2', areaM2: '120.25' },
  ]);
  const [unitOwner, communityAdmin] = await Promise.all([community.addMember(['owner'], { unitIds: [unitIds[0]!] }), community.addMember(['admin'])]);
  await setRate(community, '2.35', '2026-01');
  await billPeriod(community, '2026-01');
  await pay(community, unitIds[0]!, '100');
  await fund(community, '50000', 'parking');

  const budget = await community.manager.api.put(`/v1/communities/${community.id}/budgets/2026`, { lines: [{ account: '5105', amount: '20000' }] });
  if (budget.status !== 200) throw new Error(`budget: ${budget.status} ${budget.text}`);
  const pending = await submit(community, { title: `${label}: pending` });
  const second = await submit(community, { title: `${label}: also pending`, amount: '12.34', account: '5102' });
  const approved = await submit(community, { title: `${label}: approved` });
  await twoKeys(community, approved);
  const requests = [pending, second, approved];

  const api = community.manager.api;
  const base = `/v1/communities/${community.id}`;
  const attachmentIds = await uploadEvidence(app, community);
  const repairs = await reportRepairs(app, community);
  const entries = await api.get(`${base}/entries?limit=500`);
  const cursors = await Promise.all(['entries', 'feed', 'members', 'units', 'spend-requests'].map((list) => api.get(`${base}/${list}?limit=1`)));
  return {
    community,
    unitOwner,
    communityAdmin,
    unitIds,
    entryIds: entries.body.items.map((e: { id: string }) => e.id),
    spendIds: requests.map((r) => r.id),
    digests: requests.map((r) => r.digest),
    budgetDigest: budget.body.digest,
    trackingNos: [...requests.map((r) => r.trackingNo), ...repairs.map((r) => r.trackingNo)],
    attachmentIds,
    repairIds: repairs.map((r) => r.id),
    cursors: cursors.map((reply) => reply.body?.nextAfter).filter((cursor): cursor is string => typeof cursor === 'string'),
  };
}

/** The smallest PNG there is (one transparent pixel), uploaded as evidence where the route exists. */
const ONE_PIXEL_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

async function uploadEvidence(app: App, community: Community): Promise<string[]> {
  const reply = await app.inject({
    method: 'POST',
    url: `/v1/communities/${community.id}/attachments`,
    headers: { authorization: `Bearer ${community.manager.token}`, 'content-type': 'image/png' },
    payload: ONE_PIXEL_PNG,
  });
  return reply.statusCode === 201 ? [reply.json().id as string] : [];
}

/** A repair reported by the owner, where the route exists, for the repair routes and `repairId`. */
async function reportRepairs(app: App, community: Community): Promise<Array<{ id: string; trackingNo: string }>> {
  const reply = await app.inject({
    method: 'POST',
    url: `/v1/communities/${community.id}/repairs`,
    headers: { authorization: `Bearer ${community.owner.token}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ title: 'The lift of building 2 stops between floors', location: 'Building 2, lift A' }),
  });
  return reply.statusCode === 201 ? [{ id: reply.json().id as string, trackingNo: reply.json().trackingNo as string }] : [];
}
