import { describe, expect, it } from 'vitest';
import { commonConfigSchema, loadConfig } from './config';
import { FatalError } from './errors';
import { createRedis, parseClusterNodes } from './redis';
import { kafkaSasl, kafkaTls, oidcClientCredentialsProvider, redisTls } from './security';
import { Secret } from './secret';

const base = { KAFKA_BROKERS: 'b:9093' };
const cfg = (env: Record<string, string>) => loadConfig(commonConfigSchema, { ...base, ...env });

describe('Kafka security from config', () => {
  it('has no TLS or SASL by default', () => {
    expect(kafkaTls(cfg({}))).toBeUndefined();
    expect(kafkaSasl(cfg({}))).toBeUndefined();
  });

  it('builds TLS with CA, client cert and key, always verifying', () => {
    const tls = kafkaTls(cfg({ KAFKA_SSL_CA: 'CA', KAFKA_SSL_CERT: 'CERT', KAFKA_SSL_KEY: 'KEY', KAFKA_SSL_KEY_PASSWORD: 'pp' }));
    expect(tls).toEqual({ rejectUnauthorized: true, ca: ['CA'], cert: 'CERT', key: 'KEY', passphrase: 'pp' });
    expect(kafkaTls(cfg({ KAFKA_SSL: 'true' }))).toEqual({ rejectUnauthorized: true });
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)('builds SASL %s', (mechanism) => {
    expect(kafkaSasl(cfg({ KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }))).toEqual({ mechanism, username: 'u', password: 'p' });
  });

  it('plugs an OAUTHBEARER provider hook in, and refuses oauthbearer without one', async () => {
    const provider = () => Promise.resolve({ value: 'jwt' });
    const sasl = kafkaSasl(cfg({ KAFKA_SASL_MECHANISM: 'oauthbearer' }), { oauthBearerProvider: provider });
    expect(sasl).toEqual({ mechanism: 'oauthbearer', oauthBearerProvider: provider });
    expect(() => kafkaSasl(cfg({ KAFKA_SASL_MECHANISM: 'oauthbearer' }))).toThrow(FatalError);
    const fromOidc = kafkaSasl(
      cfg({ KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_OAUTH_TOKEN_URL: 'https://idp/token', KAFKA_OAUTH_CLIENT_ID: 'c', KAFKA_OAUTH_CLIENT_SECRET: 's' }),
      { fetch: () => Promise.resolve(new Response(JSON.stringify({ access_token: 'tok', expires_in: 3600 }))) },
    );
    expect(fromOidc?.mechanism).toBe('oauthbearer');
    if (fromOidc?.mechanism === 'oauthbearer') expect(await fromOidc.oauthBearerProvider()).toEqual({ value: 'tok' });
  });
});

describe('oidcClientCredentialsProvider', () => {
  it('posts client credentials, caches the token until near expiry', async () => {
    const calls: RequestInit[] = [];
    const provider = oidcClientCredentialsProvider({
      tokenUrl: 'https://idp/token',
      clientId: 'client',
      clientSecret: new Secret('sec'),
      scope: 'kafka',
      fetch: (_url, init) => {
        calls.push(init ?? {});
        return Promise.resolve(new Response(JSON.stringify({ access_token: `t${calls.length}`, expires_in: 3600 })));
      },
    });
    expect(await provider()).toEqual({ value: 't1' });
    expect(await provider()).toEqual({ value: 't1' });
    expect(calls).toHaveLength(1);
    expect((calls[0]?.body as URLSearchParams).toString()).toBe('grant_type=client_credentials&scope=kafka');
    expect((calls[0]?.headers as Record<string, string>)['authorization']).toBe(`Basic ${Buffer.from('client:sec').toString('base64')}`);
  });

  it('fails retriably on HTTP errors', async () => {
    const provider = oidcClientCredentialsProvider({ tokenUrl: 'https://idp/token', clientId: 'c', clientSecret: new Secret('s'), fetch: () => Promise.resolve(new Response('', { status: 503 })) });
    await expect(provider()).rejects.toThrow('HTTP 503');
  });
});

describe('Redis security and nodes', () => {
  it('enables TLS for rediss:// or REDIS_TLS, with a custom CA', () => {
    expect(redisTls(cfg({ REDIS_URL: 'redis://h:1' }))).toBeUndefined();
    expect(redisTls(cfg({ REDIS_URL: 'rediss://h:1' }))).toEqual({ rejectUnauthorized: true });
    expect(redisTls(cfg({ REDIS_URL: 'redis://h:1', REDIS_TLS: 'true', REDIS_TLS_CA: 'CA' }))).toEqual({ rejectUnauthorized: true, ca: ['CA'] });
  });

  it('parses cluster nodes', () => {
    expect(parseClusterNodes(['127.0.0.1:7001', '[::1]:7002'])).toEqual([
      { host: '127.0.0.1', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(() => parseClusterNodes(['nope'])).toThrow(FatalError);
    expect(() => createRedis(cfg({ REDIS_URL: 'redis://h:1', REDIS_CLUSTER_NODES: 'h:2' }))).toThrow(/not both/);
  });
});
