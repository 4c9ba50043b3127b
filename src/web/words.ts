/** The residents' words for what the API names in English. */
import { ApiError } from './api.js';

export const STATUS_WORDS: Record<string, string> = {
  pending: '待审批',
  approved: '已批准',
  rejected: '已驳回',
  cancelled: '已撤销',
  paid: '已支付',
  accepted: '已验收',
  disputed: '有异议',
};

export const ROLE_WORDS: Record<string, string> = {
  owner: '业主',
  manager: '物业管家',
  cosigner: '共管签名人',
  supervisor: '监督单位',
  admin: '小区管理员',
};

export const INCOME_CATEGORIES: Record<string, string> = {
  parking: '停车收益',
  advertising: '广告收益',
  leasing: '场地租赁收益',
  other: '其他公共收益',
};

export const PAYMENT_METHODS: Record<string, string> = {
  cash: '现金',
  bank: '银行转账',
  wechat: '微信支付',
  alipay: '支付宝',
  other: '其他',
};

export const FEED_WORDS: Record<string, string> = {
  'income.recorded': '公共收益入账',
  'fee.paid': '物业费缴纳',
  'spend.submitted': '支出申请提交',
  'spend.approved': '支出申请获批',
  'spend.rejected': '支出申请驳回',
  'spend.paid': '支出已付款',
  'entry.reversed': '冲正',
  'budget.approved': '年度预算获批',
  'repair.reported': '新报修',
  'repair.updated': '报修进展',
  'spend.accepted': '支出已验收',
  'spend.disputed': '验收有异议',
  'challenge.opened': '业主质询',
  'challenge.answered': '质询已答复',
  'vote.opened': '业主表决开始',
  'vote.closed': '业主表决结束',
};

/** A ballot's choice, as on the paper ballot. */
export const VOTE_CHOICE_WORDS: Record<string, string> = { for: '同意', against: '反对', abstain: '弃权' };

/** What a vote decides and the share it needs (民法典第二百七十八条). */
export const VOTE_MATTER_WORDS: Record<string, string> = {
  ordinary: '一般事项（同意须过半数）',
  special: '特别事项（同意须达四分之三）',
};

/** A question's state as every member sees it: overdue is said publicly, in red. */
export const CHALLENGE_STATUS_WORDS: Record<string, string> = {
  open: '待答复',
  answered: '已答复',
  overdue: '已逾期',
};

/** What a question is about. */
export const CHALLENGE_SUBJECT_WORDS: Record<string, string> = {
  entry: '收支明细',
  'spend-request': '支出申请',
  budget: '年度预算',
};

/** A repair's status, one word each, used alike in lists, filters and its page. */
export const REPAIR_STATUS_WORDS: Record<string, string> = {
  reported: '已报修',
  assigned: '已派单',
  started: '维修中',
  done: '已完工',
  confirmed: '已确认',
  reopened: '已重开',
  cancelled: '已撤销',
};

/** The steps of a repair's timeline, as done by someone. */
export const REPAIR_STEP_WORDS: Record<string, string> = {
  reported: '报修',
  assigned: '派单',
  started: '开始维修',
  done: '完工',
  confirmed: '确认修好',
  reopened: '没修好，重新报修',
  cancelled: '撤销报修',
  'spend.submitted': '提交维修支出申请',
  'spend.paid': '维修款已支付',
};

export const TIMELINE_WORDS: Record<string, string> = {
  submitted: '提交申请',
  key: '共管签名',
  approved: '审批通过',
  rejected: '驳回',
  cancelled: '撤销',
  paid: '付款',
  vote: '业主表决',
  repair: '关联报修',
  accepted: '验收通过',
  disputed: '验收有异议',
};

export const ENTRY_KINDS: Record<string, string> = {
  income: '公共收益',
  fee_payment: '物业费收款',
  fee_bill: '物业费计费',
  payout: '支出付款',
  reversal: '冲正',
  remuneration: '物业酬金计提',
};

/** The Chinese half of a chart name such as "Cleaning 保洁", or the name as given. */
export function accountWord(name: string | undefined, code: string): string {
  if (!name) return code;
  const chinese = /[\u4e00-\u9fff][^A-Za-z]*$/.exec(name);
  return chinese ? chinese[0].trim() : name;
}

const PROBLEM_WORDS: Record<string, string> = {
  unauthenticated: '登录已失效，请重新登录。',
  forbidden: '您的身份无权进行此操作。',
  not_found: '没有找到这条记录，或它不属于您所在的小区。',
  self_approval: '申请人不能审批自己提交的申请。',
  bad_signing_password: '签名密码不正确。',
  already_decided: '您已经对这笔申请签过名了。',
  digest_mismatch: '申请内容与您看到的不一致，请刷新后重新核对。',
  invalid_state: '当前状态下不能进行此操作。',
  insufficient_funds: '共管账户可用余额不足。',
  idempotency_conflict: '这次提交与之前的不一致，请刷新后重试。',
  payload_too_large: '提交的内容太大。',
  rate_limited: '尝试次数过多，请一分钟后再试。',
  validation_failed: '填写的内容不符合要求，请检查后重试。',
  unavailable: '服务暂时繁忙，请稍后再试。',
  internal_error: '系统出错了，请稍后再试。',
};

/** A refusal in words a resident understands; the API's own detail stays in the title. */
export function problemWords(error: unknown): string {
  if (error instanceof ApiError) return PROBLEM_WORDS[error.code] ?? `请求未成功（${error.status}）。`;
  if (error instanceof TypeError) return '网络连接失败，请检查网络后重试。';
  return '出了点问题，请稍后再试。';
}

const QUARTER_WORDS = ['', '第一季度', '第二季度', '第三季度', '第四季度'];

/** A survey's period as said aloud: 2026-Q1 -> 2026年第一季度, 2026-03 -> 2026年3月, 2026-H2 -> 2026年下半年, 2026 -> 2026年度. */
export function periodWords(period: string): string {
  const m = /^(\d{4})(?:-(?:(\d{2})|Q([1-4])|H([12])))?$/.exec(period);
  if (!m) return period;
  const [, year, month, quarter, half] = m;
  if (month) return `${year}年${Number(month)}月`;
  if (quarter) return `${year}年${QUARTER_WORDS[Number(quarter)]}`;
  if (half) return `${year}年${half === '1' ? '上' : '下'}半年`;
  return `${year}年度`;
}
