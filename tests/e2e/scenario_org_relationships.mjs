// End-to-end scenario for organization relationships: drives a running `dealbase serve` with
// the OFFICIAL Pipedrive Node SDK (v1 OrganizationRelationshipsApi, v2 organizations), unchanged.
//
//   a holding and its subsidiary (v2), a parent relationship between them (v1)
//   the relationship read from both organizations: a daughter from the holding, a parent from
//   the subsidiary (list by org_id, and one by id with org_id)
//   a deal of the subsidiary counted as the holding's related deal (v2 include_fields)
//   the relationship made lateral, then deleted: its id answers 404
//
// Environment and exit codes: see support.mjs.

import { v1, v2 } from 'pipedrive';
import { SDK_VERSION, V1_BASE, V2_BASE, apiToken, baseUrl, dataOf, eq, expectNotFound, instrument, ok, run, runTag, sdk, step } from './support.mjs';

const V1_SDK = `pipedrive@${SDK_VERSION} v1`;
const V2_SDK = `pipedrive@${SDK_VERSION} v2`;
const v1Config = new v1.Configuration({ apiKey: apiToken, basePath: V1_BASE });
const v2Config = new v2.Configuration({ apiKey: apiToken, basePath: V2_BASE });

const relationships = instrument(new v1.OrganizationRelationshipsApi(v1Config), V1_SDK);
const organizations = instrument(new v2.OrganizationsApi(v2Config), V2_SDK);
const deals = instrument(new v2.DealsApi(v2Config), V2_SDK);

const summary = {};

async function main() {
  console.log(`dealbase e2e organization relationships scenario against ${baseUrl}`);

  step('a holding and its subsidiary, related as parent and daughter');
  const holding = dataOf(await sdk('addOrganization holding', () => organizations.addOrganization({
    AddOrganizationRequest: { name: `Holding ${runTag}` },
  })), 'addOrganization holding');
  const subsidiary = dataOf(await sdk('addOrganization subsidiary', () => organizations.addOrganization({
    AddOrganizationRequest: { name: `Subsidiary ${runTag}` },
  })), 'addOrganization subsidiary');
  const added = dataOf(await sdk('addOrganizationRelationship', () => relationships.addOrganizationRelationship({
    AddOrganizationRelationshipRequest: {
      type: 'parent', rel_owner_org_id: holding.id, rel_linked_org_id: subsidiary.id, org_id: holding.id,
    },
  })), 'addOrganizationRelationship');
  eq(added.type, 'parent', 'addOrganizationRelationship: type');
  eq(added.rel_owner_org_id.value, holding.id, 'addOrganizationRelationship: rel_owner_org_id.value');
  eq(added.rel_linked_org_id.name, `Subsidiary ${runTag}`, 'addOrganizationRelationship: rel_linked_org_id.name');

  step('read from both organizations');
  const fromHolding = dataOf(await sdk('getOrganizationRelationships holding', () => relationships.getOrganizationRelationships({
    org_id: holding.id,
  })), 'getOrganizationRelationships holding');
  eq(fromHolding.length, 1, 'getOrganizationRelationships holding: one relationship');
  eq(fromHolding[0].id, added.id, 'getOrganizationRelationships holding: id');
  eq(fromHolding[0].calculated_type, 'daughter', 'getOrganizationRelationships holding: calculated_type');
  eq(fromHolding[0].calculated_related_org_id, subsidiary.id, 'getOrganizationRelationships holding: calculated_related_org_id');
  eq(fromHolding[0].related_organization_name, `Subsidiary ${runTag}`, 'getOrganizationRelationships holding: related_organization_name');
  const fromSubsidiary = dataOf(await sdk('getOrganizationRelationships subsidiary', () => relationships.getOrganizationRelationships({
    org_id: subsidiary.id,
  })), 'getOrganizationRelationships subsidiary');
  eq(fromSubsidiary.length, 1, 'getOrganizationRelationships subsidiary: one relationship');
  eq(fromSubsidiary[0].calculated_type, 'parent', 'getOrganizationRelationships subsidiary: calculated_type');
  eq(fromSubsidiary[0].calculated_related_org_id, holding.id, 'getOrganizationRelationships subsidiary: calculated_related_org_id');
  const one = await sdk('getOrganizationRelationship', () => relationships.getOrganizationRelationship({
    id: added.id, org_id: subsidiary.id,
  }));
  eq(one.data.calculated_type, 'parent', 'getOrganizationRelationship org_id=subsidiary: calculated_type');
  ok(one.related_objects.organization[String(holding.id)], 'getOrganizationRelationship: the holding in related_objects', one.related_objects);

  step('the subsidiary\'s deal counted as the holding\'s related deal');
  const deal = dataOf(await sdk('addDeal', () => deals.addDeal({
    AddDealRequest: { title: `Subsidiary deal ${runTag}`, org_id: subsidiary.id },
  })), 'addDeal');
  const shown = dataOf(await sdk('getOrganization', () => organizations.getOrganization({
    id: holding.id, include_fields: 'related_open_deals_count',
  })), 'getOrganization');
  eq(shown.related_open_deals_count, 1, 'getOrganization include_fields: related_open_deals_count');

  step('made lateral, then deleted');
  const changed = dataOf(await sdk('updateOrganizationRelationship', () => relationships.updateOrganizationRelationship({
    id: added.id, OrganizationRelationship: { type: 'related', org_id: subsidiary.id },
  })), 'updateOrganizationRelationship');
  eq(changed.type, 'related', 'updateOrganizationRelationship: type');
  eq(changed.calculated_type, 'related', 'updateOrganizationRelationship: calculated_type');
  const deleted = dataOf(await sdk('deleteOrganizationRelationship', () => relationships.deleteOrganizationRelationship({ id: added.id })), 'deleteOrganizationRelationship');
  eq(deleted.id, added.id, 'deleteOrganizationRelationship: id');
  await expectNotFound(() => relationships.getOrganizationRelationship({ id: added.id }), 'getOrganizationRelationship after delete');
  const none = dataOf(await sdk('getOrganizationRelationships after delete', () => relationships.getOrganizationRelationships({
    org_id: holding.id,
  })), 'getOrganizationRelationships after delete');
  eq(none.length, 0, 'getOrganizationRelationships after delete: none left');

  Object.assign(summary, { organizations: [holding.id, subsidiary.id], relationship: added.id, deal: deal.id });
}

await run(main, summary);
