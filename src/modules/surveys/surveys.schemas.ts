import { Type, type Static } from 'typebox';
import { Body, Id, Timestamp } from '../../shared/schemas.js';

const Line = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '^[^\\x00-\\x1F\\x7F]*\\S[^\\x00-\\x1F\\x7F]*$' });
const ItemKey = Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$', description: 'A short key: lower-case letters, digits and _' });

export const CreateSurveyBody = Body({
  title: Line(200),
  period: Type.String({ pattern: '^[0-9]{4}(-(0[1-9]|1[0-2])|-Q[1-4]|-H[12])?$', description: 'What the survey rates: 2026, 2026-03, 2026-Q1 or 2026-H1', examples: ['2026-Q1'] }),
  closesAt: { ...Timestamp, description: 'Responses are taken until then; in the future' },
  items: Type.Array(Body({ key: ItemKey, label: Line(100) }), { minItems: 1, maxItems: 20 }),
});
export type CreateSurveyBody = Static<typeof CreateSurveyBody>;

export const ResponseBody = Body({
  scores: Type.Record(Type.String(), Type.Integer({ minimum: 1, maximum: 5 }), { description: 'Every item of the survey scored 1 to 5, by its key' }),
  comment: Type.Optional(Type.String({ maxLength: 2000 })),
});
export type ResponseBody = Static<typeof ResponseBody>;

export const Survey = Type.Object({
  id: Id,
  title: Type.String(),
  period: Type.String(),
  status: Type.Enum(['open', 'closed'], { description: '`closed` from closesAt' }),
  closesAt: Timestamp,
  items: Type.Array(
    Type.Object({
      key: Type.String(),
      label: Type.String(),
      average: Type.Union([Type.String(), Type.Null()], { description: 'Mean score, half-up to 2 decimals; null before any response' }),
    }),
  ),
  responses: Type.Integer({ minimum: 0 }),
  responseRate: Type.String({ description: 'responses ÷ owners holding a unit, half-up to 4 decimals' }),
  responded: Type.Boolean({ description: 'Whether the caller has responded' }),
});
export type Survey = Static<typeof Survey>;

export const SurveyParams = Type.Object({ cid: Id, id: Id });
