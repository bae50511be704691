import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commonConfigShape, createLogger, createMetrics, HttpServer } from '@seam/kit';
import { SEAM_SERVICES, TOPICS, groupIdOf, type SeamService } from '@seam/topology';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsIngestConfigSchema } from '../../services/aws-ingest/src/config';
import { correlatorConfigSchema } from '../../services/correlator/src/main';
import { CorrelatorMetrics } from '../../services/correlator/src/metrics';
import { enricherConfigSchema } from '../../services/enricher/src/config';
import { configSchema as qradarIngestConfigSchema } from '../../services/qradar-ingest/src/config';
import { scorerConfigSchema } from '../../services/scorer/src/config';
import {
  K8S, ROOT, configVariablesOf, dockerfileFacts, envNames, isRecord, kitConfigVariables, list, readCompose, readKustomizedObjects,
  readText, record, serviceConfigVariables, servicesWithMain, text, type ConfigVariable, type Doc,
} from './manifests';

// The deployment files (Dockerfile, docker-compose.yml, infra/k8s) checked against the code they
// deploy: services, topics and consumer groups (topology), configuration names (the zod schemas),
// probe paths (the kit's HTTP server) and metric names (the kit's registry).

/** Read by the image's command (which entry point to run), not by the services. */
const IMAGE_VARIABLES = ['SERVICE'];

const kitVariables = kitConfigVariables();

function variablesOf(service: string): ConfigVariable[] {
  return [...kitVariables, ...serviceConfigVariables(service)];
}

/** Names a process may be given: each variable, or `<NAME>_FILE` (the kit resolves it for every key). */
function acceptedNames(variables: readonly ConfigVariable[]): Set<string> {
  return new Set([...IMAGE_VARIABLES, ...variables.flatMap((v) => [v.name, `${v.name}_FILE`])]);
}
const secretNames = (variables: readonly ConfigVariable[]) => new Set(variables.filter((v) => v.secret).map((v) => v.name));

const unknownNames = (names: readonly string[], accepted: ReadonlySet<string>) => names.filter((name) => !accepted.has(name));

const compose = readCompose();
const composeServices = record(compose['services'], 'services');
const objects = readKustomizedObjects();
const byKind = (kind: string) => objects.filter(({ object }) => object['kind'] === kind).map(({ object }) => object);
const nameOf = (object: Doc) => text(record(object['metadata'], 'metadata')['name'], 'metadata.name');
const find = (kind: string, name: string) => byKind(kind).find((object) => nameOf(object) === name);
const configMapData = (name: string): Doc => record(find('ConfigMap', name)?.['data'] ?? {}, `ConfigMap ${name}`);
const commonData = configMapData('seam-common');

function podSpec(deployment: Doc): Doc {
  return record(record(record(deployment['spec'], 'spec')['template'], 'template')['spec'], 'pod spec');
}
function container(deployment: Doc): Doc {
  const containers = list(podSpec(deployment)['containers'], 'containers');
  expect(containers).toHaveLength(1);
  return record(containers[0], 'container');
}
function containerEnv(deployment: Doc): Map<string, string> {
  const entries = list(container(deployment)['env'], 'env').map((entry) => record(entry, 'env entry'));
  return new Map(entries.map((entry) => [text(entry['name'], 'env name'), text(entry['value'], 'env value (secrets as files only)')]));
}
function configMapRefs(deployment: Doc): string[] {
  return list(container(deployment)['envFrom'], 'envFrom').map((ref) => text(record(record(ref, 'envFrom')['configMapRef'], 'configMapRef')['name'], 'configMapRef.name'));
}
/** Every variable a Deployment's container gets, with its value. */
function deploymentVariables(deployment: Doc): Map<string, string> {
  const values = new Map<string, string>();
  for (const ref of configMapRefs(deployment)) {
    for (const [key, value] of Object.entries(configMapData(ref))) values.set(key, String(value));
  }
  for (const [key, value] of containerEnv(deployment)) values.set(key, value);
  return values;
}
const composeEnvironment = (service: string) => record(record(composeServices[service], service)['environment'] ?? {}, `${service}.environment`);

const consumedTopics = (service: string) =>
  TOPICS.filter((topic) => topic.consumers.some((c) => c.kind === 'stage' && c.service === service));

const allServices = [...new Set<string>([...SEAM_SERVICES, ...servicesWithMain()])].sort();

describe('services and topology', () => {
  it('every service with src/main.ts is one of the topology services', () => {
    expect(servicesWithMain().filter((name) => name !== 'kit' && !(SEAM_SERVICES as readonly string[]).includes(name))).toEqual([]);
  });

  it.each(allServices)('%s has a Deployment, a ConfigMap naming its entry point, a Service and a compose service', (service) => {
    const deployment = find('Deployment', service);
    expect(deployment, `Deployment ${service}`).toBeDefined();
    if (deployment === undefined) return;
    expect(deploymentVariables(deployment).get('SERVICE')).toBe(service);
    expect(container(deployment)['image']).toBe('seam');

    const podLabels = record(record(record(record(deployment['spec'], 'spec')['template'], 'template')['metadata'], 'metadata')['labels'], 'labels');
    const k8sService = find('Service', service);
    expect(k8sService, `Service ${service}`).toBeDefined();
    const serviceSpec = record(k8sService?.['spec'], 'Service spec');
    for (const [key, value] of Object.entries(record(serviceSpec['selector'], 'selector'))) expect(podLabels[key]).toBe(value);
    expect(list(serviceSpec['ports'], 'ports').map((p) => record(p, 'port')['targetPort'])).toContain('http');

    const composeService = record(composeServices[service], `compose service ${service}`);
    expect(composeEnvironment(service)['SERVICE']).toBe(service);
    expect(composeService['image']).toBe('seam:local');
    expect(record(composeService['build'], 'build')['dockerfile']).toBe('Dockerfile');
  });

  it.each(allServices)('%s: a KEDA ScaledObject exactly when it consumes, on its topics, group and partitions', (service) => {
    const consumed = consumedTopics(service);
    const scaled = find('ScaledObject', service);
    if (consumed.length === 0) {
      expect(scaled, `${service} consumes nothing: no ScaledObject`).toBeUndefined();
      return;
    }
    expect(scaled, `ScaledObject ${service}`).toBeDefined();
    const spec = record(scaled?.['spec'], 'ScaledObject spec');
    expect(record(spec['scaleTargetRef'], 'scaleTargetRef')['name']).toBe(service);
    const triggers = list(spec['triggers'], 'triggers').map((t) => record(t, 'trigger'));
    expect(triggers.map((t) => t['type'])).toEqual(triggers.map(() => 'kafka'));
    const metadata = triggers.map((t) => record(t['metadata'], 'trigger metadata'));
    expect(metadata.map((m) => m['topic']).sort()).toEqual(consumed.map((t) => t.name).sort());
    // Each trigger watches the group topology names for that topic (seam.<service>, or
    // seam.<service>.<part> for a second consumer of the same service, like the scorer's events).
    const groupOf = (topic: unknown) => consumed.find((t) => t.name === topic)?.consumers.find((c) => c.kind === 'stage' && c.service === service);
    for (const m of metadata) {
      const consumer = groupOf(m['topic']);
      expect(consumer?.kind === 'stage' ? consumer.group : undefined, `group for ${String(m['topic'])}`).toBe(m['consumerGroup']);
      expect(String(m['consumerGroup']).startsWith(groupIdOf(service as SeamService))).toBe(true);
      expect(m['bootstrapServers']).toBe(commonData['KAFKA_BROKERS']);
      expect(Number(text(m['lagThreshold'], 'lagThreshold'))).toBeGreaterThan(0);
    }
    const maxReplicas = spec['maxReplicaCount'];
    expect(typeof maxReplicas).toBe('number');
    expect(maxReplicas).toBeLessThanOrEqual(Math.min(...consumed.map((t) => t.partitions)));
    // The group id the kit uses must be the one KEDA watches: no override in the manifests.
    const deployment = find('Deployment', service);
    if (deployment !== undefined) {
      expect(deploymentVariables(deployment).has('KAFKA_GROUP_ID')).toBe(false);
      expect(record(deployment['spec'], 'spec')['replicas'], 'KEDA owns the replica count').toBeUndefined();
    }
    expect(Object.keys(composeEnvironment(service))).not.toContain('KAFKA_GROUP_ID');
  });
});

describe('configuration names', () => {
  it('the syntax-tree reader finds exactly the keys of the imported schemas', () => {
    const names = (variables: readonly ConfigVariable[]) => variables.map((v) => v.name).sort();
    const own = (shape: object) => Object.keys(shape).filter((key) => !(key in commonConfigShape)).sort();
    expect(names(kitVariables)).toEqual(Object.keys(commonConfigShape).sort());
    expect(names(serviceConfigVariables('qradar-ingest'))).toEqual(own(qradarIngestConfigSchema.shape));
    expect(names(serviceConfigVariables('aws-ingest'))).toEqual(own(awsIngestConfigSchema.shape));
    expect(names(serviceConfigVariables('enricher'))).toEqual(own(enricherConfigSchema.shape));
    expect(names(serviceConfigVariables('correlator'))).toEqual(own(correlatorConfigSchema.shape));
    expect(names(serviceConfigVariables('scorer'))).toEqual(own(scorerConfigSchema.shape));
    expect(kitVariables.filter((v) => v.secret).map((v) => v.name)).toContain('KAFKA_SASL_PASSWORD');
    expect(serviceConfigVariables('qradar-ingest').filter((v) => v.secret).map((v) => v.name)).toContain('QRADAR_TOKEN');
  });

  it.each(allServices)('%s: every variable in its Deployment and compose service is one the code reads', (service) => {
    const accepted = acceptedNames(variablesOf(service));
    const deployment = find('Deployment', service);
    expect(unknownNames([...(deployment === undefined ? [] : deploymentVariables(deployment).keys())], accepted)).toEqual([]);
    expect(unknownNames(envNames(record(composeServices[service], service)['environment'], service), accepted)).toEqual([]);
  });

  it.each(allServices)('%s: secrets are given only as files, from mounted secrets', (service) => {
    const variables = variablesOf(service);
    const secrets = secretNames(variables);
    const deployment = find('Deployment', service);
    if (deployment !== undefined) {
      const values = deploymentVariables(deployment);
      expect([...values.keys()].filter((name) => secrets.has(name))).toEqual([]);
      const mounts = list(container(deployment)['volumeMounts'], 'volumeMounts').map((m) => record(m, 'mount'));
      const volumes = new Map(list(podSpec(deployment)['volumes'], 'volumes').map((v) => { const vol = record(v, 'volume'); return [vol['name'], vol]; }));
      const secretMountPaths = mounts.filter((m) => isRecord(volumes.get(m['name'])?.['secret'])).map((m) => text(m['mountPath'], 'mountPath'));
      for (const [name, value] of values) {
        if (!name.endsWith('_FILE') || !secrets.has(name.slice(0, -'_FILE'.length))) continue;
        expect(secretMountPaths.some((path) => value.startsWith(`${path}/`)), `${service} ${name}=${value} is in a mounted Secret`).toBe(true);
      }
    }
    const composeService = record(composeServices[service], service);
    const environment = composeEnvironment(service);
    expect(Object.keys(environment).filter((name) => secrets.has(name))).toEqual([]);
    const composeSecrets = record(compose['secrets'] ?? {}, 'secrets');
    const mounted = list(composeService['secrets'], 'secrets').map((s) => text(s, 'secret'));
    for (const [name, value] of Object.entries(environment)) {
      if (!name.endsWith('_FILE') || !secrets.has(name.slice(0, -'_FILE'.length))) continue;
      const secret = /^\/run\/secrets\/([\w.-]+)$/.exec(text(value, name))?.[1];
      expect(secret, `${service} ${name} points at /run/secrets/<name>`).toBeDefined();
      expect(mounted).toContain(secret);
      expect(record(composeSecrets[secret ?? ''], `secret ${secret ?? ''}`)['file']).toBeTypeOf('string');
    }
  });

  it('the compose topology job gets only what the topology and schemas command lines read', () => {
    const accepted = new Set([...configVariablesOf(join(ROOT, 'topology/src/kafka-connection.ts')), ...configVariablesOf(join(ROOT, 'schemas/src/cli.ts'))].map((v) => v.name));
    expect(accepted.has('KAFKA_BROKERS') && accepted.has('SCHEMA_REGISTRY_URL')).toBe(true);
    const topology = record(composeServices['topology'], 'topology');
    expect(unknownNames(envNames(topology['environment'], 'topology'), accepted)).toEqual([]);
    const command = list(topology['command'], 'command').join(' ');
    expect(command).toContain('topology/src/cli.ts apply');
    expect(command).toContain('schemas/src/cli.ts register');
    for (const service of allServices) {
      expect(record(record(composeServices[service], service)['depends_on'], 'depends_on')['topology']).toEqual({ condition: 'service_completed_successfully' });
    }
  });

  it("the compose Redis servers run with infra/lib.sh's REDIS_TUNING (the correlator's compact state)", () => {
    const tuning = /^REDIS_TUNING=\((.*)\)$/m.exec(readText('infra/lib.sh'))?.[1]?.split(/\s+/) ?? [];
    expect(tuning).toContain('--zset-max-listpack-entries');
    const standalone = list(record(composeServices['redis'], 'redis')['command'], 'redis command').map(String);
    const cluster = list(record(composeServices['redis-cluster'], 'redis-cluster')['command'], 'redis-cluster command').join(' ').split(/[\s;]+/);
    for (const args of [standalone, cluster]) {
      for (let i = 0; i < tuning.length; i += 2) {
        const at = args.indexOf(tuning[i] ?? '');
        expect(at, `${tuning[i] ?? ''} in ${args.join(' ')}`).toBeGreaterThanOrEqual(0);
        expect(args[at + 1]).toBe(tuning[i + 1]);
      }
    }
  });

  it('the Dockerfile sets only variables the kit reads, besides SERVICE', () => {
    const { envNames: names } = dockerfileFacts(readText('Dockerfile'));
    expect(names).toContain('SERVICE');
    expect(unknownNames(names, acceptedNames(kitVariables))).toEqual([]);
  });
});

describe('probes, ports and security', () => {
  let server: HttpServer;
  let base: string;
  let ready = false;
  beforeAll(async () => {
    server = new HttpServer({ host: '127.0.0.1', port: 0, registry: createMetrics({ defaultMetrics: false }).registry, isReady: () => ready, logger: createLogger({ service: 'deploy-test', level: 'silent' }) });
    const port = await server.listen();
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await server.close();
  });

  it('the kit serves the probe paths the manifests use', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect(readText('Dockerfile')).toMatch(/HEALTHCHECK[^\n]*\n?[^\n]*\/healthz/);
  });

  it.each(allServices)('%s: probes on the kit paths and its HTTP port, non-root, read-only, bounded, drained', (service) => {
    const deployment = find('Deployment', service);
    if (deployment === undefined) throw new Error(`no Deployment ${service}`);
    const c = container(deployment);
    const values = deploymentVariables(deployment);
    const port = Number(values.get('HTTP_PORT'));
    expect(values.get('HTTP_HOST')).toBe('0.0.0.0');
    expect(list(c['ports'], 'ports').map((p) => record(p, 'port'))).toContainEqual({ name: 'http', containerPort: port, protocol: 'TCP' });
    const probe = (kind: string) => record(record(c[kind], kind)['httpGet'], `${kind}.httpGet`);
    expect(probe('readinessProbe')).toEqual({ path: '/readyz', port: 'http' });
    expect(probe('livenessProbe')).toEqual({ path: '/healthz', port: 'http' });
    const annotations = record(record(record(record(deployment['spec'], 'spec')['template'], 'template')['metadata'], 'metadata')['annotations'], 'annotations');
    expect(annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' });

    const pod = podSpec(deployment);
    expect(record(pod['securityContext'], 'pod securityContext')).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(record(c['securityContext'], 'securityContext')).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    const mounts = list(c['volumeMounts'], 'volumeMounts').map((m) => record(m, 'mount')['mountPath']);
    expect(mounts, 'tsx compiles into /tmp: writable with a read-only root').toContain('/tmp');
    const resources = record(c['resources'], 'resources');
    for (const key of ['requests', 'limits']) expect(Object.keys(record(resources[key], key)).sort()).toEqual(['cpu', 'memory']);
    const shutdownMs = Number(values.get('SHUTDOWN_TIMEOUT_MS') ?? 25_000);
    expect(Number(pod['terminationGracePeriodSeconds']) * 1000).toBeGreaterThan(shutdownMs);

    const composeService = record(composeServices[service], service);
    expect(composeService['read_only']).toBe(true);
    expect(composeEnvironment(service)['HTTP_HOST']).toBe('0.0.0.0');
  });
});

describe('Dockerfile', () => {
  const dockerfile = readText('Dockerfile');
  const facts = dockerfileFacts(dockerfile);

  it('runs on a Node LTS that satisfies the repo engines, in more than one stage', () => {
    const engines = record(JSON.parse(readText('package.json')), 'package.json')['engines'];
    const minMajor = Number(/>=\s*(\d+)/.exec(text(record(engines, 'engines')['node'], 'engines.node'))?.[1]);
    expect(facts.stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of facts.stages) {
      const major = Number(/^node:(\d+)[.-]/.exec(stage.image)?.[1]);
      expect(major, `${stage.image}: an even (LTS) Node major >= 20`).toBeGreaterThanOrEqual(Math.max(20, minMajor));
      expect(major % 2).toBe(0);
    }
  });

  it('installs with npm ci from every workspace manifest and runs services/$SERVICE/src/main.ts with tsx as a non-root user', () => {
    const workspaces = list(record(JSON.parse(readText('package.json')), 'package.json')['workspaces'], 'workspaces').map((w) => text(w, 'workspace'));
    const folders = workspaces.flatMap((pattern) =>
      pattern.endsWith('/*') ? servicesWithPackage(pattern.slice(0, -2)) : [pattern]);
    for (const folder of folders) expect(dockerfile, `COPY ${folder}/package.json`).toMatch(new RegExp(`^COPY ${folder}/package\\.json `, 'm'));
    expect(dockerfile).toMatch(/RUN npm ci --omit=dev/);
    // tsx is a devDependency: the production install leaves it out, so it must be provided on its own.
    expect(dockerfile).toMatch(/ln -s \/opt\/tsx\/node_modules\/tsx node_modules\/tsx/);
    expect(facts.final.instructions).toContain('COPY --from=deps /opt/tsx /opt/tsx');
    const final = facts.final.instructions;
    expect(final.find((line) => line.startsWith('USER '))).toMatch(/^USER [1-9]\d*:[1-9]\d*$/);
    expect(final.find((line) => line.startsWith('CMD '))).toContain('exec node --import tsx \\"services/${SERVICE}/src/main.ts\\"');
    const ignored = readText('.dockerignore').split('\n').map((line) => line.trim());
    for (const entry of ['node_modules', '**/node_modules', '.local', '.git']) expect(ignored).toContain(entry);
  });
});

/** Workspace folders under `parent`, as the lockfile lists them (the set npm ci checks). */
function servicesWithPackage(parent: string): string[] {
  const lock = record(JSON.parse(readText('package-lock.json')), 'package-lock.json');
  return Object.keys(record(lock['packages'], 'packages')).filter((path) => path.startsWith(`${parent}/`) && path.split('/').length === 2);
}

describe('monitoring', () => {
  const kit = createMetrics({ defaultMetrics: false });
  // The kit's metrics (every stage) and the correlator's own (hot keys, watermark, outcomes).
  new CorrelatorMetrics(kit.registry, 60_000);
  const kitMetrics = new Map(kit.registry.getMetricsAsArray().map((m) => [m.name, String(m.type)]));
  const dashboard = record(JSON.parse(readFileSync(join(K8S, 'monitoring', 'grafana-dashboard.json'), 'utf8')), 'dashboard');
  const exprs = list(dashboard['panels'], 'panels').flatMap((panel) =>
    list(record(panel, 'panel')['targets'], 'targets').map((t) => text(record(t, 'target')['expr'], 'expr')));

  /** A queried series name to the metric that exports it (histograms export _bucket, _sum, _count). */
  function exportedBy(series: string): string | undefined {
    if (kitMetrics.has(series)) return series;
    const base = series.replace(/_(bucket|sum|count)$/, '');
    return base !== series && kitMetrics.get(base) === 'histogram' ? base : undefined;
  }

  it('every metric a panel queries is one the kit exports, and the stage metrics are all shown', () => {
    expect(exprs.length).toBeGreaterThan(0);
    const used = new Set<string>();
    for (const expr of exprs) {
      const series = [...expr.matchAll(/\b(seam_[a-z0-9_]+)\b/g)].map((m) => m[1] ?? '');
      expect(series.length, `panel query names a Seam metric: ${expr}`).toBeGreaterThan(0);
      for (const name of series) {
        const metric = exportedBy(name);
        expect(metric, `${name} is exported by services/kit/src/metrics.ts or services/correlator/src/metrics.ts`).toBeDefined();
        if (metric !== undefined) used.add(metric);
      }
    }
    expect([...used].sort()).toEqual([...kitMetrics.keys()].sort());
  });

  it('Prometheus scrapes the annotated pods of the namespace the kustomization deploys to', () => {
    const config = record(parse(readFileSync(join(K8S, 'monitoring', 'prometheus.yml'), 'utf8')), 'prometheus.yml');
    const kustomization = record(parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')), 'kustomization');
    const job = record(list(config['scrape_configs'], 'scrape_configs')[0], 'job');
    const sd = record(list(job['kubernetes_sd_configs'], 'kubernetes_sd_configs')[0], 'sd');
    expect(sd['role']).toBe('pod');
    expect(record(sd['namespaces'], 'namespaces')['names']).toEqual([kustomization['namespace']]);
    const relabels = list(job['relabel_configs'], 'relabel_configs').map((r) => record(r, 'relabel'));
    expect(relabels).toContainEqual({ source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: 'keep', regex: 'true' });
    expect(relabels.some((r) => r['target_label'] === '__metrics_path__')).toBe(true);
  });
});
