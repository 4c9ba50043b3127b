import { Type, type Static } from 'typebox';
import { Body, Id, Money, ref, Role } from '../../shared/schemas.js';

const Password = Type.String({ minLength: 10, maxLength: 1024, description: 'At least 10 characters' });
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S' });

export const FeeRate = Type.String({
  pattern: '^0(\\.[0-9]{1,6})?$',
  description: 'The steward\'s share of fees collected, a decimal string in [0, 1), e.g. "0.08"',
  examples: ['0.08'],
});

export const CreateCommunityBody = Body({
  name: Text(200),
  managementFeeRate: FeeRate,
  timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone; default Asia/Shanghai' })),
});
export type CreateCommunityBody = Static<typeof CreateCommunityBody>;

export const Community = Type.Object({
  id: Id,
  number: Type.Integer({ description: 'Public number, part of every tracking number' }),
  name: Type.String(),
  managementFeeRate: Type.String(),
  timezone: Type.String(),
  requiredApprovals: Type.Integer({ minimum: 2, description: 'Co-signer keys a payout or budget needs' }),
  voteRequiredAbove: Type.Union([Type.String(), Type.Null()], {
    description: 'A spend request above this amount must name a closed owners’ vote of this community that passed; null: none needs one',
  }),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Community = Static<typeof Community>;

export const CreateMemberBody = Body({
  username: Type.String({ pattern: '^[A-Za-z0-9_.@-]{1,64}$', description: 'Letters, digits and _ . @ -' }),
  displayName: Text(100),
  password: Password,
  roles: Type.Array(ref(Role), { minItems: 1, maxItems: 5, uniqueItems: true }),
  signingPassword: Type.Optional({ ...Password, description: 'Required for a cosigner; must differ from the password' }),
  unitIds: Type.Optional(Type.Array(Id, { maxItems: 100, uniqueItems: true })),
});
export type CreateMemberBody = Static<typeof CreateMemberBody>;

export const MemberResponse = Type.Object({
  id: Id,
  username: Type.String(),
  displayName: Type.String(),
  roles: Type.Array(ref(Role)),
  unitIds: Type.Array(Id),
});
export type MemberResponse = Static<typeof MemberResponse>;

/** An area is exact like money: a decimal string, never a JSON number (which would pass through a float). */
export const AreaM2 = Type.String({
  pattern: '^(0|[1-9][0-9]{0,7})(\\.[0-9]{1,2})?$',
  description: 'Floor area in m² as a decimal string, at most two decimals, e.g. "89.50"; a JSON number is 400 validation_failed',
  examples: ['89.50'],
});

export const CreateUnitBody = Body({
  code: Text(50),
  building: Text(50),
  areaM2: AreaM2,
});
export type CreateUnitBody = Static<typeof CreateUnitBody>;

export const Unit = Type.Object({
  id: Id,
  code: Type.String(),
  building: Type.String(),
  areaM2: Type.String({ description: 'm², two decimals' }),
});
export type Unit = Static<typeof Unit>;

/** Any subset of the policy: the fields not given keep their value. */
export const PolicyBody = Body({
  requiredApprovals: Type.Optional(Type.Integer({ minimum: 2, maximum: 20, description: 'Never below two keys' })),
  voteRequiredAbove: Type.Optional(
    Type.Union([ref(Money), Type.Null()], { description: 'Spend requests above this amount need a passed owners’ vote; null: none do' }),
  ),
});
export type PolicyBody = Static<typeof PolicyBody>;

export const Me = Type.Object({
  id: Id,
  username: Type.String(),
  displayName: Type.String(),
  isPlatformAdmin: Type.Boolean(),
  communities: Type.Array(
    Type.Object({
      id: Id,
      number: Type.Integer({ description: 'The public number in its tracking numbers' }),
      name: Type.String(),
      timezone: Type.String(),
      roles: Type.Array(ref(Role)),
      unitIds: Type.Array(Id, { description: 'The units I own in this community' }),
    }),
  ),
  csrfToken: Type.Optional(
    Type.String({ description: 'Only for a web-app session: send it as X-CSRF-Token with every POST, PUT, PATCH and DELETE' }),
  ),
});
export type Me = Static<typeof Me>;
