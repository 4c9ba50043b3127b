import path from 'node:path';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';

/**
 * The process environment, parsed once against a schema and frozen. No secret has a default
 * here: the admin password and the token key are generated on first start and kept.
 */
const Environment = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  /** Where the embedded database and local state live; unset, `./.data` or a system location. */
  DATA_DIR: Type.Optional(Type.String({ minLength: 1 })),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 10 })),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  /** log2 of the scrypt cost for passwords; only tests lower it, to keep the suite fast. */
  PASSWORD_HASH_COST: Type.Integer({ minimum: 10, maximum: 20, default: 15 }),
  /** Seconds an access token lives; the contract caps it at 24 h. */
  TOKEN_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 86_400, default: 8 * 3600 }),
  /** Database connections per API process. */
  DB_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 200, default: 20 }),
  /** A bearer token for GET /metrics; unset, only loopback callers may read it. */
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  /** Comma-separated origins allowed to call the API from a browser; unset, none. */
  CORS_ORIGINS: Type.Optional(Type.String()),
  /** Requests in flight per process (streams apart) before the service sheds load. */
  MAX_IN_FLIGHT: Type.Integer({ minimum: 1, maximum: 100_000, default: 256 }),
  /** Requests in flight for one community before its requests are shed. */
  MAX_IN_FLIGHT_PER_COMMUNITY: Type.Integer({ minimum: 1, maximum: 100_000, default: 96 }),
  /** Open event streams per process. */
  MAX_STREAMS: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 20_000 }),
  /** `production` turns the simulated payment provider off unless PAYMENTS_SIMULATED says otherwise. */
  NODE_ENV: Type.Optional(Type.String()),
  /**
   * The host that names the transparency key and starts every checkpoint's origin
   * (`<host>/<community id>`); unset, the machine's host name. Fixed on first start: the
   * database keeps the first value.
   */
  TRANSPARENCY_ORIGIN: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9.-]{1,253}$' })),
  /** `1` runs the simulated WeChat Pay in-process, `0` never; unset, on unless NODE_ENV=production. */
  PAYMENTS_SIMULATED: Type.Optional(Type.Enum(['0', '1'])),
  /** WeChat Pay API v3: the merchant, the platform key that signs notifications, the APIv3 key. */
  WECHATPAY_MCHID: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  WECHATPAY_APPID: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  /** The platform public key: PEM text, or the path of a PEM file. */
  WECHATPAY_PLATFORM_PUBLIC_KEY: Type.Optional(Type.String({ minLength: 1 })),
  WECHATPAY_PLATFORM_SERIAL: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  WECHATPAY_APIV3_KEY: Type.Optional(Type.String({ pattern: '^[\\x21-\\x7E]{32}$' })),
  /** The merchant's private key (PEM text or path) and its serial: only JSAPI prepay needs them. */
  WECHATPAY_MERCHANT_PRIVATE_KEY: Type.Optional(Type.String({ minLength: 1 })),
  WECHATPAY_MERCHANT_SERIAL: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  /** Where WeChat Pay's merchant API answers (prepay, bills); a simulated provider's address in tests. */
  WECHATPAY_API_BASE: Type.String({ pattern: '^https?://[^\\s/]+/?$', default: 'https://api.mch.weixin.qq.com' }),
  /** The notify_url prepay hands WeChat Pay: this service's /v1/payments/wechat/notify as the provider reaches it. */
  WECHATPAY_NOTIFY_URL: Type.Optional(Type.String({ pattern: '^https?://\\S+$', maxLength: 255 })),
});

export type Config = Readonly<Static<typeof Environment> & { corsOrigins: readonly string[] }>;

/** The default home of the embedded database, relative to where the service is started. */
export const DEFAULT_DATA_DIR = './.data';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Only the variables we know, with blanks treated as unset, so `PORT=` means the default.
  const known = Object.fromEntries(
    Object.keys(Environment.properties)
      .filter((name) => env[name] !== undefined && env[name] !== '')
      .map((name) => [name, env[name]]),
  );
  const withDefaults = Value.Default(Environment, Value.Convert(Environment, known));
  if (!Value.Check(Environment, withDefaults)) {
    const problems = [...Value.Errors(Environment, withDefaults)]
      .map((e) => `${e.instancePath || '(root)'} ${e.message}`)
      .join('; ');
    throw new Error(`Invalid environment: ${problems}`);
  }
  const parsed = withDefaults as Static<typeof Environment>;
  const corsOrigins = (parsed.CORS_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new Error(`Invalid environment: CORS_ORIGINS entry ${origin} is not an origin like https://example.org`);
  }
  return Object.freeze({
    ...parsed,
    ...(parsed.DATA_DIR ? { DATA_DIR: path.resolve(parsed.DATA_DIR) } : {}),
    corsOrigins: Object.freeze(corsOrigins),
  });
}
