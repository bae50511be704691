import { z } from 'zod';
import { registrySubjects } from './catalogue';
import { checkAll, createRegistryClient, registerAll } from './registry';

// npx tsx schemas/src/cli.ts register|check [--prefix <subject prefix>]
// Endpoint and credentials from SCHEMA_REGISTRY_URL, SCHEMA_REGISTRY_USERNAME, SCHEMA_REGISTRY_PASSWORD.

const envSchema = z.object({
  SCHEMA_REGISTRY_URL: z.url(),
  SCHEMA_REGISTRY_USERNAME: z.string().optional(),
  SCHEMA_REGISTRY_PASSWORD: z.string().optional(),
});

const usage = 'usage: cli.ts register|check [--prefix <subject prefix>]';

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  let prefix = '';
  for (let i = 0; i < rest.length; i += 1) {
    if (rest[i] === '--prefix' && rest[i + 1] !== undefined) prefix = rest[(i += 1)] ?? '';
    else {
      console.error(usage);
      return 2;
    }
  }
  const env = envSchema.safeParse(process.env);
  if (!env.success) {
    console.error(`schemas: bad environment: ${z.prettifyError(env.error)}`);
    return 2;
  }
  const client = createRegistryClient({
    url: env.data.SCHEMA_REGISTRY_URL,
    username: env.data.SCHEMA_REGISTRY_USERNAME,
    password: env.data.SCHEMA_REGISTRY_PASSWORD,
  });
  const subjects = registrySubjects(prefix);
  switch (command ?? '') {
    case 'register': {
      for (const { subject, id } of await registerAll(client, subjects)) console.log(`registered ${subject} id=${id}`);
      return 0;
    }
    case 'check': {
      const results = await checkAll(client, subjects);
      const incompatible = results.filter((r) => r.answer.status === 'incompatible');
      for (const { subject, answer } of results) {
        const detail = answer.status === 'incompatible' && answer.messages.length > 0 ? `: ${answer.messages.join('; ')}` : '';
        console.log(`${answer.status.padEnd(12)} ${subject}${detail}`);
      }
      if (incompatible.length > 0) {
        console.error(`NOT BACKWARD compatible: ${incompatible.map((r) => r.subject).join(', ')}`);
        return 1;
      }
      return 0;
    }
    default:
      console.error(usage);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    console.error(`schemas: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
