/**
 * Which model reads a record when none is named: among the candidates (the bundled default of each dataset), the
 * one whose leads all appear in the record by name or alias (prepare.ts LEAD_ALIASES), the most leads first (a
 * 12-lead record goes to the 12-lead model, not to a one-lead model that could read its lead II); else one with
 * the same number of leads. Ties keep catalogue order. Limb leads that follow from I and II count as present
 * (prepare.ts withDerivedLeads), so an 8-lead record (I, II, V1-V6) goes to the 12-lead model, not to a one-lead
 * beat model reading its lead II. A model lead given as alternatives (`V1|V2|V5|V4`) is present when one of them
 * is, the rule selectLeads reads it by (prepare.ts modelLeadNames).
 */
import { ConfigError } from '../errors.js';
import { availableLeads, canonicalLead, modelLeadNames } from './prepare.js';

export interface RouteCandidate {
  name: string;
  leads: readonly string[];
}

export function routeRecord<C extends RouteCandidate>(
  recordLeads: readonly string[],
  candidates: readonly C[],
): C {
  const names = availableLeads(recordLeads);
  const present = (lead: string) => modelLeadNames(lead).some((name) => names.has(canonicalLead(name)));
  const covered = candidates
    .filter((c) => c.leads.every(present))
    .sort((a, b) => b.leads.length - a.leads.length);
  const chosen = covered[0] ?? candidates.find((c) => c.leads.length === recordLeads.length);
  if (chosen === undefined) {
    const offered = candidates.map((c) => `${c.name} [${c.leads.join(', ')}]`).join('; ') || 'none';
    throw new ConfigError(
      `no bundled model reads a record with leads [${recordLeads.join(', ')}] (models: ${offered}); pass --model`,
    );
  }
  return chosen;
}
