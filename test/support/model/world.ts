import type { App } from '../../../src/http/app-types.js';
import { adminLogin, client, setupCommunity, type Client, type Community, type Reply } from '../harness.js';
import type { ActorName, WorldSpec } from './commands.js';
import { Model } from './model.js';
import type { Call, Person } from './state.js';

/**
 * One run's community, driven through the API: the harness's manager, three co-signers,
 * owner and supervisor, plus a steward who is both manager and co-signer, the platform
 * admin, and a manager of another community. The model is told who everyone is.
 */

interface Actor {
  api: Client;
  id: string;
  signingPassword?: string;
}

/** People who outlive one run: the platform admin and an outsider with a community of its own. */
export interface Strangers {
  admin: Actor;
  outsider: Actor;
}

export async function strangers(app: App): Promise<Strangers> {
  const admin = client(app, await adminLogin(app));
  const me = await admin.get('/v1/me');
  if (me.status !== 200) throw new Error(`me: ${me.status} ${me.text}`);
  const elsewhere = await setupCommunity(app);
  return { admin: { api: admin, id: me.body.id }, outsider: { api: elsewhere.manager.api, id: elsewhere.manager.id } };
}

export interface World {
  community: Community;
  model: Model;
  /** Sends a planned call as its actor, adding the signing password (right or wrong) when the call needs one. */
  send(call: Call): Promise<Reply>;
  base: string;
}

export async function createWorld(app: App, spec: WorldSpec, known: Strangers): Promise<World> {
  const community = await setupCommunity(app, { managementFeeRate: spec.managementFeeRate, timezone: spec.timezone });
  const base = `/v1/communities/${community.id}`;
  const policy = async () => {
    if (spec.requiredApprovals === 2) return;
    const reply = await community.admin.put(`${base}/policy`, { requiredApprovals: spec.requiredApprovals });
    if (reply.status !== 200) throw new Error(`policy: ${reply.status} ${reply.text}`);
  };
  const unit = async (areaM2: string, i: number) => {
    const reply = await community.admin.post(`${base}/units`, { code: `U${i + 1}`, building: `B${(i % 2) + 1}`, areaM2 });
    if (reply.status !== 201) throw new Error(`unit: ${reply.status} ${reply.text}`);
    return { id: reply.body.id as string, areaM2 };
  };
  const [steward, , ...units] = await Promise.all([community.addMember(['manager', 'cosigner']), policy(), ...spec.areas.map(unit)]);

  const [c1, c2, c3] = community.cosigners;
  const actors: Record<ActorName, Actor> = {
    manager: community.manager,
    steward,
    c1,
    c2,
    c3,
    owner: community.owner,
    supervisor: community.supervisor,
    admin: known.admin,
    outsider: known.outsider,
  };
  const roles: Record<ActorName, string[]> = {
    manager: ['manager'],
    steward: ['manager', 'cosigner'],
    c1: ['cosigner'],
    c2: ['cosigner'],
    c3: ['cosigner'],
    owner: ['owner'],
    supervisor: ['supervisor'],
    admin: [],
    outsider: [],
  };
  const people = Object.fromEntries(
    (Object.keys(actors) as ActorName[]).map((name): [ActorName, Person] => [
      name,
      { id: actors[name].id, roles: roles[name], platformAdmin: name === 'admin', member: name !== 'admin' && name !== 'outsider' },
    ]),
  ) as Record<ActorName, Person>;

  return {
    community,
    base,
    model: new Model(spec, people, units),
    send(call) {
      const actor = actors[call.by];
      const signing = call.signing === undefined ? {} : { signingPassword: call.signing === 'right' ? (actor.signingPassword ?? 'holds-no-key') : 'not-my-key' };
      const body = { ...call.body, ...signing };
      const url = `${base}${call.path}`;
      return call.method === 'PUT' ? actor.api.put(url, body) : actor.api.post(url, body);
    },
  };
}
