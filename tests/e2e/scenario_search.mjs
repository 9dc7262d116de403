// End-to-end scenario for search: drives a running `dealbase serve` with the
// OFFICIAL Pipedrive Node SDK, unchanged.
//
//   an organization, a person in it and a deal on both, all carrying one made-up word
//   deals search (v2) finds the deal by that word of its title
//   one itemSearch (v2) finds the deal, the person and the organization
//   after the deal's title changes, the old word no longer finds it
//
// Environment and exit codes: see support.mjs.

import { v2 } from 'pipedrive';
import { SDK_VERSION, V2_BASE, apiToken, baseUrl, dataOf, eq, instrument, ok, run, runTag, sdk, step } from './support.mjs';

const V2_SDK = `pipedrive@${SDK_VERSION} v2`;
const v2Config = new v2.Configuration({ apiKey: apiToken, basePath: V2_BASE });

const deals = instrument(new v2.DealsApi(v2Config), V2_SDK);
const persons = instrument(new v2.PersonsApi(v2Config), V2_SDK);
const organizations = instrument(new v2.OrganizationsApi(v2Config), V2_SDK);
const itemSearch = instrument(new v2.ItemSearchApi(v2Config), V2_SDK);

const summary = {};

async function main() {
  console.log(`dealbase e2e search scenario against ${baseUrl}`);
  const word = `zephyr${runTag}`;

  step('v2: an organization, a person and a deal with the word');
  const org = dataOf(await sdk('addOrganization', () => organizations.addOrganization({
    AddOrganizationRequest: { name: `${word} Industries` },
  })), 'addOrganization');
  const person = dataOf(await sdk('addPerson', () => persons.addPerson({
    AddPersonRequest: { name: `Ada ${word}`, org_id: org.id },
  })), 'addPerson');
  const deal = dataOf(await sdk('addDeal', () => deals.addDeal({
    AddDealRequest: { title: `The ${word} renewal`, person_id: person.id, org_id: org.id },
  })), 'addDeal');
  await sdk('addDeal (other)', () => deals.addDeal({ AddDealRequest: { title: `Unrelated ${runTag}` } }));

  step('v2: deals search finds the deal by a word of its title');
  const found = dataOf(await sdk('searchDeals', () => deals.searchDeals({ term: word })), 'searchDeals');
  eq((found.items || []).map((x) => x.item && x.item.id), [deal.id], 'searchDeals: the deal with the word in its title');
  const hit = found.items[0];
  ok(typeof hit.result_score === 'number' && hit.result_score > 0 && hit.result_score <= 1,
    'searchDeals: result_score is a number in (0, 1]', hit.result_score);
  eq(hit.item.title, `The ${word} renewal`, 'searchDeals: item.title');

  step('v2: one itemSearch finds the deal, the person and the organization');
  const all = dataOf(await sdk('searchItem', () => itemSearch.searchItem({ term: word })), 'searchItem');
  const keys = (all.items || []).map((x) => `${x.item.type}:${x.item.id}`);
  for (const key of [`deal:${deal.id}`, `person:${person.id}`, `organization:${org.id}`]) {
    ok(keys.includes(key), `searchItem: ${key} not found`, keys);
  }
  summary.item_search = keys;

  step('v2: a renamed deal is no longer found by its old word');
  await sdk('updateDeal', () => deals.updateDeal({ id: deal.id, UpdateDealRequest: { title: `Renamed ${runTag}` } }));
  const after = dataOf(await sdk('searchDeals after rename', () => deals.searchDeals({ term: word })), 'searchDeals after');
  eq((after.items || []).map((x) => x.item.id), [], 'searchDeals after the rename');
}

await run(main, summary);
