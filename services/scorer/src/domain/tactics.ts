// ATT&CK enterprise tactics. Sources spell a tactic as its id (TA0006), its name
// ("Credential Access") or kebab-case (credential-access); counting distinct tactics needs one form.

const TACTIC_IDS: Readonly<Record<string, string>> = {
  'reconnaissance': 'TA0043',
  'resource-development': 'TA0042',
  'initial-access': 'TA0001',
  'execution': 'TA0002',
  'persistence': 'TA0003',
  'privilege-escalation': 'TA0004',
  'defense-evasion': 'TA0005',
  'credential-access': 'TA0006',
  'discovery': 'TA0007',
  'lateral-movement': 'TA0008',
  'collection': 'TA0009',
  'command-and-control': 'TA0011',
  'exfiltration': 'TA0010',
  'impact': 'TA0040',
};

// Sources repeat the same few spellings; remembering them keeps regexes off the hot path. The
// cache is bounded and only ever maps a string to the same result, so scoring stays pure.
const cache = new Map<string, string>();
const CACHE_LIMIT = 1024;

/** A canonical key for a tactic: its TA id when known, else the lower-case kebab form. */
export function tacticKey(tactic: string): string {
  const known = cache.get(tactic);
  if (known !== undefined) return known;
  const key = computeTacticKey(tactic);
  if (cache.size < CACHE_LIMIT) cache.set(tactic, key);
  return key;
}

function computeTacticKey(tactic: string): string {
  const trimmed = tactic.trim();
  if (/^ta\d{4}$/i.test(trimmed)) return trimmed.toUpperCase();
  const kebab = trimmed.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return TACTIC_IDS[kebab] ?? kebab;
}
