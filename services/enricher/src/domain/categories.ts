import type { MitreTechnique } from './security-event';

/**
 * `category` is a short kebab-case label. Where the source names an ATT&CK tactic, the category is
 * that tactic's name and `mitre[]` carries its id; otherwise it is the source's own class.
 */
export const ATTACK_TACTICS: Readonly<Record<string, string>> = {
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

/** "Initial Access" -> "initial-access"; "UnauthorizedAccess" -> "unauthorized-access". */
export function kebab(text: string): string {
  return text
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

const TITLE_CASE: Readonly<Record<string, string>> = {
  'command-and-control': 'Command and Control',
};

export function tacticName(category: string): string {
  return TITLE_CASE[category] ?? category.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
}

/** The MITRE entry for a category that is an ATT&CK tactic, else null. */
export function tacticOf(category: string): MitreTechnique | null {
  const id = ATTACK_TACTICS[category];
  return id === undefined ? null : { tactic: id, technique: null, name: tacticName(category) };
}

/**
 * GuardDuty threat purposes (the part of a finding type before ':'). Those that are ATT&CK tactics
 * map onto them; the others keep their own name.
 */
const GUARDDUTY_PURPOSES: Readonly<Record<string, string>> = {
  'backdoor': 'command-and-control',
  'behavior': 'behavior',
  'crypto-currency': 'impact',
  'credential-access': 'credential-access',
  'defense-evasion': 'defense-evasion',
  'discovery': 'discovery',
  'execution': 'execution',
  'exfiltration': 'exfiltration',
  'impact': 'impact',
  'initial-access': 'initial-access',
  'pen-test': 'pentest',
  'persistence': 'persistence',
  'policy': 'policy',
  'privilege-escalation': 'privilege-escalation',
  'recon': 'reconnaissance',
  'stealth': 'defense-evasion',
  'trojan': 'command-and-control',
  'unauthorized-access': 'unauthorized-access',
  'object': 'object',
};

/** Category of a GuardDuty finding type such as `UnauthorizedAccess:EC2/SSHBruteForce`. */
export function guarddutyCategory(findingType: string): string {
  const colon = findingType.indexOf(':');
  const purpose = kebab(colon < 0 ? findingType : findingType.slice(0, colon));
  return GUARDDUTY_PURPOSES[purpose] ?? (purpose || 'unknown');
}
