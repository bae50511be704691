import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import type { CommonConfig } from './config';
import { FatalError, RetriableError } from './errors';
import type { Secret } from './secret';

/**
 * Connection security derived from config. Certificate verification is never switched off: a
 * private CA is supplied with KAFKA_SSL_CA / REDIS_TLS_CA instead.
 */

export type OAuthBearerProvider = () => Promise<{ value: string }>;

type KafkaSecurityConfig = Pick<
  CommonConfig,
  | 'KAFKA_SSL'
  | 'KAFKA_SSL_CA'
  | 'KAFKA_SSL_CERT'
  | 'KAFKA_SSL_KEY'
  | 'KAFKA_SSL_KEY_PASSWORD'
  | 'KAFKA_SSL_SERVERNAME'
  | 'KAFKA_SASL_MECHANISM'
  | 'KAFKA_SASL_USERNAME'
  | 'KAFKA_SASL_PASSWORD'
  | 'KAFKA_OAUTH_TOKEN_URL'
  | 'KAFKA_OAUTH_CLIENT_ID'
  | 'KAFKA_OAUTH_CLIENT_SECRET'
  | 'KAFKA_OAUTH_SCOPE'
>;

export function kafkaTls(config: KafkaSecurityConfig): ConnectionOptions | undefined {
  const enabled = config.KAFKA_SSL || config.KAFKA_SSL_CA !== undefined || config.KAFKA_SSL_CERT !== undefined;
  if (!enabled) return undefined;
  const tls: ConnectionOptions = { rejectUnauthorized: true };
  if (config.KAFKA_SSL_CA !== undefined) tls.ca = [config.KAFKA_SSL_CA];
  if (config.KAFKA_SSL_CERT !== undefined) tls.cert = config.KAFKA_SSL_CERT;
  if (config.KAFKA_SSL_KEY !== undefined) tls.key = config.KAFKA_SSL_KEY.reveal();
  if (config.KAFKA_SSL_KEY_PASSWORD !== undefined) tls.passphrase = config.KAFKA_SSL_KEY_PASSWORD.reveal();
  if (config.KAFKA_SSL_SERVERNAME !== undefined) tls.servername = config.KAFKA_SSL_SERVERNAME;
  return tls;
}

export interface KafkaSecurityHooks {
  /** For KAFKA_SASL_MECHANISM=oauthbearer: MSK IAM signers or any OIDC client plug in here. */
  readonly oauthBearerProvider?: OAuthBearerProvider;
  readonly fetch?: typeof fetch;
}

export function kafkaSasl(config: KafkaSecurityConfig, hooks: KafkaSecurityHooks = {}): SASLOptions | undefined {
  const mechanism = config.KAFKA_SASL_MECHANISM;
  if (mechanism === undefined) return undefined;
  switch (mechanism) {
    case 'plain':
    case 'scram-sha-256':
    case 'scram-sha-512': {
      const username = config.KAFKA_SASL_USERNAME;
      const password = config.KAFKA_SASL_PASSWORD;
      if (username === undefined || password === undefined) throw new FatalError(`KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`);
      return { mechanism, username, password: password.reveal() };
    }
    case 'oauthbearer': {
      if (hooks.oauthBearerProvider) return { mechanism, oauthBearerProvider: hooks.oauthBearerProvider };
      if (config.KAFKA_OAUTH_TOKEN_URL !== undefined && config.KAFKA_OAUTH_CLIENT_ID !== undefined && config.KAFKA_OAUTH_CLIENT_SECRET !== undefined) {
        return {
          mechanism,
          oauthBearerProvider: oidcClientCredentialsProvider({
            tokenUrl: config.KAFKA_OAUTH_TOKEN_URL,
            clientId: config.KAFKA_OAUTH_CLIENT_ID,
            clientSecret: config.KAFKA_OAUTH_CLIENT_SECRET,
            ...(config.KAFKA_OAUTH_SCOPE !== undefined ? { scope: config.KAFKA_OAUTH_SCOPE } : {}),
            ...(hooks.fetch ? { fetch: hooks.fetch } : {}),
          }),
        };
      }
      throw new FatalError('KAFKA_SASL_MECHANISM=oauthbearer needs an oauthBearerProvider hook or KAFKA_OAUTH_TOKEN_URL/CLIENT_ID/CLIENT_SECRET');
    }
  }
}

export interface ClientCredentialsOptions {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: Secret;
  readonly scope?: string;
  readonly fetch?: typeof fetch;
  /** Refresh this long before expiry. */
  readonly refreshMarginMs?: number;
}

/** OAuth 2.0 client-credentials token provider (OIDC) for SASL/OAUTHBEARER, cached until near expiry. */
export function oidcClientCredentialsProvider(options: ClientCredentialsOptions): OAuthBearerProvider {
  const doFetch = options.fetch ?? fetch;
  const margin = options.refreshMarginMs ?? 60_000;
  let cached: { value: string; expiresAt: number } | undefined;
  return async () => {
    if (cached && Date.now() < cached.expiresAt - margin) return { value: cached.value };
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (options.scope !== undefined) body.set('scope', options.scope);
    const basic = Buffer.from(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret.reveal())}`).toString('base64');
    const response = await doFetch(options.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
      body,
    });
    if (!response.ok) throw new RetriableError(`token endpoint answered HTTP ${response.status}`);
    const json = (await response.json()) as { access_token?: unknown; expires_in?: unknown };
    if (typeof json.access_token !== 'string') throw new RetriableError('token endpoint returned no access_token');
    const lifetimeMs = typeof json.expires_in === 'number' ? json.expires_in * 1000 : 300_000;
    cached = { value: json.access_token, expiresAt: Date.now() + lifetimeMs };
    return { value: cached.value };
  };
}

export function registryAuth(config: Pick<CommonConfig, 'SCHEMA_REGISTRY_USERNAME' | 'SCHEMA_REGISTRY_PASSWORD'>): { username: string; password: string } | undefined {
  if (config.SCHEMA_REGISTRY_USERNAME === undefined) return undefined;
  return { username: config.SCHEMA_REGISTRY_USERNAME, password: config.SCHEMA_REGISTRY_PASSWORD?.reveal() ?? '' };
}

export function redisTls(config: Pick<CommonConfig, 'REDIS_TLS' | 'REDIS_TLS_CA' | 'REDIS_URL'>): ConnectionOptions | undefined {
  const enabled = config.REDIS_TLS || config.REDIS_TLS_CA !== undefined || config.REDIS_URL?.startsWith('rediss:') === true;
  if (!enabled) return undefined;
  const tls: ConnectionOptions = { rejectUnauthorized: true };
  if (config.REDIS_TLS_CA !== undefined) tls.ca = [config.REDIS_TLS_CA];
  return tls;
}
