import { randomBytes } from 'node:crypto';

/**
 * A community with real books, built through the HTTP API of a running server, for the web
 * app's browser tests and its benchmark: units, an owner, a manager, three co-signers, a
 * supervisor and an admin; a fee rate, a billed month with a payment, public income, an
 * approved budget, a paid request and a pending one.
 */
export interface DemoPerson {
  id: string;
  username: string;
  password: string;
  signingPassword?: string;
  displayName: string;
}

export interface Demo {
  base: string;
  communityId: string;
  communityName: string;
  owner: DemoPerson;
  manager: DemoPerson;
  cosigners: [DemoPerson, DemoPerson, DemoPerson];
  supervisor: DemoPerson;
  admin: DemoPerson;
  unitIds: string[];
  pendingRequest: { id: string; trackingNo: string; digest: string };
  paidRequest: { id: string; trackingNo: string };
  /** Calls the API with a bearer token (as a script or another client would). */
  call<T = any>(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  login(person: { username: string; password: string }): Promise<string>;
}

export async function seedDemo(base: string, adminPassword: string): Promise<Demo> {
  const call = async <T = any>(token: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const must = async <T = any>(token: string, method: string, path: string, body?: unknown): Promise<T> => {
    const reply = await call<T>(token, method, path, body);
    if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  };
  const login = async (person: { username: string; password: string }) => {
    const response = await fetch(`${base}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: person.username, password: person.password }),
    });
    if (!response.ok) throw new Error(`login ${person.username}: ${response.status}`);
    return ((await response.json()) as { accessToken: string }).accessToken;
  };

  const root = await login({ username: 'admin', password: adminPassword });
  const suffix = randomBytes(3).toString('hex');
  const communityName = `幸福里小区 ${suffix}`;
  const community = await must(root, 'POST', '/v1/communities', { name: communityName, managementFeeRate: '0.08' });
  const cid = community.id as string;
  const c = `/v1/communities/${cid}`;

  const units: string[] = [];
  for (const [building, code, areaM2] of [
    ['1号楼', '1-1-101', '89.50'],
    ['1号楼', '1-2-302', '120.00'],
    ['2号楼', '2-1-501', '96.30'],
    ['3号楼', '3-2-1201', '143.20'],
  ] as const) {
    units.push((await must(root, 'POST', `${c}/units`, { building, code, areaM2 })).id);
  }

  const person = async (roles: string[], displayName: string, unitIds?: string[]): Promise<DemoPerson> => {
    const username = `${roles[0]}_${randomBytes(4).toString('hex')}`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const signingPassword = roles.includes('cosigner') ? `sign-${randomBytes(8).toString('hex')}` : undefined;
    const created = await must(root, 'POST', `${c}/members`, {
      username,
      displayName,
      password,
      roles,
      ...(signingPassword ? { signingPassword } : {}),
      ...(unitIds ? { unitIds } : {}),
    });
    return { id: created.id, username, password, displayName, ...(signingPassword ? { signingPassword } : {}) };
  };
  const [owner, manager, c1, c2, c3, supervisor, admin] = await Promise.all([
    person(['owner'], '王秀英', [units[0]!]),
    person(['manager'], '李管家'),
    person(['cosigner', 'owner'], '张建国', [units[1]!]),
    person(['cosigner'], '陈丽华'),
    person(['cosigner'], '刘志强'),
    person(['supervisor'], '街道办 周科长'),
    person(['admin'], '赵主任'),
  ]);
  const [mt, c1t, c2t] = await Promise.all([login(manager), login(c1), login(c2)]);

  const now = new Date();
  const year = now.getUTCFullYear();
  const period = `${year}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
  await must(mt, 'PUT', `${c}/fee-schedule`, { ratePerM2: '2.35', effectiveFrom: period });
  await must(mt, 'POST', `${c}/billing-runs`, { period });
  await must(mt, 'POST', `${c}/fee-payments`, { unitId: units[0], amount: '210.33', method: 'wechat', reference: 'WX20261123001' });
  await must(mt, 'POST', `${c}/fee-payments`, { unitId: units[2], amount: '226.31', method: 'bank' });
  await must(mt, 'POST', `${c}/income`, { category: 'parking', amount: '12800.00', payer: '临时停车收费' });
  await must(mt, 'POST', `${c}/income`, { category: 'advertising', amount: '6000.00', payer: '电梯广告 分众传媒' });
  await must(mt, 'POST', `${c}/income`, { category: 'leasing', amount: '1500.00', payer: '快递柜场地租金' });

  await must(mt, 'PUT', `${c}/budgets/${year}`, {
    lines: [
      { account: '5102', amount: '36000.00' },
      { account: '5103', amount: '48000.00' },
      { account: '5105', amount: '20000.00' },
      { account: '5107', amount: '12000.00' },
      { account: '4101', amount: '150000.00' },
    ],
  });
  await must(c1t, 'POST', `${c}/budgets/${year}/approvals`, { signingPassword: c1.signingPassword });
  await must(c2t, 'POST', `${c}/budgets/${year}/approvals`, { signingPassword: c2.signingPassword });

  const paid = await must(mt, 'POST', `${c}/spend-requests`, {
    title: '3号楼电梯年度维保',
    amount: '3280.50',
    account: '5107',
    payee: { name: '鑫达电梯维保有限公司', account: '6222 0210 0112 3456 789' },
    description: '3号楼两部电梯全年维保，含季度安检。',
    budgetYear: year,
  });
  await must(c1t, 'POST', `${c}/spend-requests/${paid.id}/approvals`, { signingPassword: c1.signingPassword, digest: paid.digest });
  await must(c2t, 'POST', `${c}/spend-requests/${paid.id}/approvals`, { signingPassword: c2.signingPassword, digest: paid.digest });
  await must(mt, 'POST', `${c}/spend-requests/${paid.id}/payout`, { bankReference: 'BOC202611230017' });

  const pending = await must(mt, 'POST', `${c}/spend-requests`, {
    title: '1号楼楼道灯更换',
    amount: '1280.50',
    account: '5105',
    payee: { name: '明亮照明工程部', account: '6217 0000 1234 5678' },
    description: '更换1号楼1至18层楼道感应灯共36盏。',
    budgetYear: year,
  });

  return {
    base,
    communityId: cid,
    communityName,
    owner,
    manager,
    cosigners: [c1, c2, c3],
    supervisor,
    admin,
    unitIds: units,
    pendingRequest: { id: pending.id, trackingNo: pending.trackingNo, digest: pending.digest },
    paidRequest: { id: paid.id, trackingNo: paid.trackingNo },
    call,
    login,
  };
}
