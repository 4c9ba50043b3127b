import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { useLoad, useSubmit } from '../hooks.js';
import { FormOutcome, valueOf, type Errors } from '../parts/form.js';
import { Card, Field, Loading } from '../parts/ui.js';
import { ROLE_WORDS } from '../words.js';
import { NotForYou } from './record-income.js';

/** The community admin adds units and members (owners with their units, managers, co-signers…). */
export function MembersUnits() {
  const { here, me } = useSession();
  const units = useLoad(() => api.units(here.id), [here.id]);
  const members = useLoad(() => api.members(here.id), [here.id]);
  if (!hasRole(here, 'admin') && !me.isPlatformAdmin) return <NotForYou what="管理成员与房屋" />;
  const unitName = (id: string) => {
    const u = units.data?.find((x) => x.id === id);
    return u ? `${u.building} ${u.code}` : id;
  };
  return (
    <>
      <h1>成员与房屋</h1>
      <AddUnit onDone={units.reload} />
      <AddMember units={units.data ?? []} onDone={members.reload} />
      <Card title={`房屋（${units.data?.length ?? '…'}）`}>
        {!units.data ? (
          <Loading />
        ) : (
          <ul class="plain-list">
            {units.data.map((u) => (
              <li key={u.id}>
                <span>
                  {u.building} {u.code}
                </span>
                <span class="muted">{u.areaM2} m²</span>
              </li>
            ))}
          </ul>
        )}
      </Card>
      <Card title={`成员（${members.data?.length ?? '…'}）`}>
        {!members.data ? (
          <Loading />
        ) : (
          <ul class="plain-list">
            {members.data.map((m) => (
              <li key={m.id}>
                <span>
                  {m.displayName} <span class="muted small">@{m.username}</span>
                  {m.unitIds.length ? <span class="muted small"> · {m.unitIds.map(unitName).join('、')}</span> : null}
                </span>
                <span class="small">{m.roles.map((r) => ROLE_WORDS[r] ?? r).join('、')}</span>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}

function AddUnit({ onDone }: { onDone: () => void }) {
  const { here } = useSession();
  const [form, setForm] = useState({ building: '', code: '', areaM2: '' });
  const [errors, setErrors] = useState<Errors>({});
  const set = (name: keyof typeof form) => (event: Event) => setForm({ ...form, [name]: valueOf(event) });
  const add = useSubmit(() => api.addUnit(here.id, { building: form.building.trim(), code: form.code.trim(), areaM2: form.areaM2.trim() }), () => {
    setForm({ ...form, code: '', areaM2: '' });
    onDone();
  });
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const found: Errors = {
      'unit-building': form.building.trim() ? undefined : '请填写楼栋。',
      'unit-code': form.code.trim() ? undefined : '请填写房号。',
      'unit-area': /^\d{1,8}(\.\d{1,2})?$/.test(form.areaM2.trim()) && /[1-9]/.test(form.areaM2) ? undefined : '面积请填写大于零的数字，最多两位小数。',
    };
    setErrors(found);
    if (!Object.values(found).some(Boolean)) void add.submit();
  };
  return (
    <Card title="添加房屋">
      <FormOutcome errors={errors} error={add.error} />
      <form class="form" onSubmit={onSubmit} noValidate>
        <Field id="unit-building" label="楼栋" hint="例如：3号楼" error={errors['unit-building']}>
          <input id="unit-building" aria-describedby="unit-building-hint" value={form.building} onInput={set('building')} />
        </Field>
        <Field id="unit-code" label="房号" hint="例如：3-2-501" error={errors['unit-code']}>
          <input id="unit-code" aria-describedby="unit-code-hint" value={form.code} onInput={set('code')} />
        </Field>
        <Field id="unit-area" label="建筑面积（平方米）" error={errors['unit-area']}>
          <input id="unit-area" inputMode="decimal" value={form.areaM2} onInput={set('areaM2')} />
        </Field>
        <button type="submit" class="button" disabled={add.busy}>
          添加房屋
        </button>
      </form>
    </Card>
  );
}

const ROLES = ['owner', 'manager', 'cosigner', 'supervisor', 'admin'] as const;

function AddMember({ units, onDone }: { units: { id: string; building: string; code: string }[]; onDone: () => void }) {
  const { here } = useSession();
  const [form, setForm] = useState({ username: '', displayName: '', password: '', signingPassword: '' });
  const [roles, setRoles] = useState<string[]>(['owner']);
  const [unitIds, setUnitIds] = useState<string[]>([]);
  const [errors, setErrors] = useState<Errors>({});
  const [done, setDone] = useState<string | undefined>();
  const set = (name: keyof typeof form) => (event: Event) => setForm({ ...form, [name]: valueOf(event) });
  const add = useSubmit(
    () =>
      api.addMember(here.id, {
        username: form.username.trim(),
        displayName: form.displayName.trim(),
        password: form.password,
        roles: roles as (typeof ROLES)[number][],
        ...(roles.includes('cosigner') ? { signingPassword: form.signingPassword } : {}),
        ...(unitIds.length ? { unitIds } : {}),
      }),
    (member) => {
      setDone(`已添加 ${member.displayName}。`);
      setForm({ username: '', displayName: '', password: '', signingPassword: '' });
      setUnitIds([]);
      onDone();
    },
  );
  const toggle = (list: string[], value: string) => (list.includes(value) ? list.filter((v) => v !== value) : [...list, value]);
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const found: Errors = {
      'member-username': /^[A-Za-z0-9_.@-]{1,64}$/.test(form.username.trim()) ? undefined : '用户名只能用字母、数字和 _ . @ -。',
      'member-name': form.displayName.trim() ? undefined : '请填写姓名。',
      'member-password': form.password.length >= 10 ? undefined : '登录密码至少 10 位。',
      'member-signing':
        !roles.includes('cosigner') || (form.signingPassword.length >= 10 && form.signingPassword !== form.password)
          ? undefined
          : '共管签名人需要至少 10 位、且与登录密码不同的签名密码。',
      'member-role-owner': roles.length ? undefined : '请至少选择一个身份。',
    };
    setErrors(found);
    if (!Object.values(found).some(Boolean)) void add.submit();
  };
  return (
    <Card title="添加成员">
      <FormOutcome done={done} errors={errors} error={add.error} />
      <form class="form" onSubmit={onSubmit} noValidate>
        <Field id="member-name" label="姓名" error={errors['member-name']}>
          <input id="member-name" value={form.displayName} onInput={set('displayName')} />
        </Field>
        <Field id="member-username" label="用户名" hint="登录用，字母或数字" error={errors['member-username']}>
          <input id="member-username" aria-describedby="member-username-hint" autocapitalize="none" value={form.username} onInput={set('username')} />
        </Field>
        <Field id="member-password" label="初始登录密码" error={errors['member-password']}>
          <input id="member-password" type="password" autocomplete="new-password" value={form.password} onInput={set('password')} />
        </Field>
        <fieldset class="field">
          <legend>身份</legend>
          {errors['member-role-owner'] ? <p class="error-message">{errors['member-role-owner']}</p> : null}
          {ROLES.map((role) => (
            <div class="checkbox" key={role}>
              <input id={`member-role-${role}`} type="checkbox" checked={roles.includes(role)} onChange={() => setRoles(toggle(roles, role))} />
              <label for={`member-role-${role}`}>{ROLE_WORDS[role]}</label>
            </div>
          ))}
        </fieldset>
        {roles.includes('cosigner') ? (
          <Field id="member-signing" label="签名密码" hint="共管签名人的第二把钥匙，须与登录密码不同" error={errors['member-signing']}>
            <input
              id="member-signing"
              type="password"
              autocomplete="new-password"
              aria-describedby="member-signing-hint"
              value={form.signingPassword}
              onInput={set('signingPassword')}
            />
          </Field>
        ) : null}
        {units.length ? (
          <fieldset class="field">
            <legend>名下房屋（选填）</legend>
            <div class="unit-picker">
              {units.map((u) => (
                <div class="checkbox" key={u.id}>
                  <input id={`member-unit-${u.id}`} type="checkbox" checked={unitIds.includes(u.id)} onChange={() => setUnitIds(toggle(unitIds, u.id))} />
                  <label for={`member-unit-${u.id}`}>
                    {u.building} {u.code}
                  </label>
                </div>
              ))}
            </div>
          </fieldset>
        ) : null}
        <button type="submit" class="button" disabled={add.busy}>
          添加成员
        </button>
      </form>
    </Card>
  );
}
