import type { Owner } from '@seam/schemas/records/verdict';
import type { Assessment } from './assess';
import type { Incident } from './input';
import type { RiskModel } from './model';
import { sanitizeName } from './text';

/** An owner that looks like a person (an e-mail or UPN) rather than a team name. */
const looksLikePerson = (owner: string): boolean => /^[^@\s]+@[^@\s]+$/.test(owner);

/**
 * Who handles the incident:
 * 1. the most critical targeted asset's support group (team) and owner (person, when the owner
 *    is an e-mail/UPN; an owner that is a team name becomes the team when no support group exists);
 * 2. else the routing table entry of the first category found, members by descending source
 *    severity (member order breaks ties);
 * 3. else the default SOC queue.
 */
export function ownerOf(incident: Incident, assessment: Assessment, model: RiskModel): Owner {
  const asset = assessment.mostCriticalAsset?.asset;
  if (asset !== undefined) {
    const { supportGroup, owner } = asset;
    if (supportGroup !== null && supportGroup.trim() !== '') {
      const person = owner !== null && looksLikePerson(owner.trim()) ? sanitizeName(owner.trim()) : null;
      return { team: sanitizeName(supportGroup), person };
    }
    if (owner !== null && owner.trim() !== '') {
      const trimmed = owner.trim();
      return looksLikePerson(trimmed)
        ? { team: sanitizeName(model.config.routing.default), person: sanitizeName(trimmed) }
        : { team: sanitizeName(trimmed), person: null };
    }
  }
  const { byCategory } = model.config.routing;
  const ranked = incident.members
    .map((member, index) => ({ member, index }))
    .sort((a, b) => b.member.sourceSeverity - a.member.sourceSeverity || a.index - b.index);
  for (const { member } of ranked) {
    const category = assessment.events.get(member.eventId)?.category;
    if (category === undefined) continue;
    const team = Object.hasOwn(byCategory, category) ? byCategory[category] : undefined;
    if (team !== undefined) return { team: sanitizeName(team), person: null };
  }
  return { team: sanitizeName(model.config.routing.default), person: null };
}
