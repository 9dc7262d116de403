// End-to-end scenario for visibility (issue 13, acceptance 1): the OFFICIAL Pipedrive Node SDK,
// unchanged, as the admin and as a regular user B the admin adds:
//
//   UsersApi.addUser (admin) → B; `dealbase user token EMAIL` prints B's token
//   B adds deals of their own; the admin adds company-visible deals (visible_to 3) and one
//   owner-only deal (visible_to 1), all carrying one made-up word; more than a page of each
//   with B's token: every page of v2 getDeals and of v1 getDeals (classic SDK) lists B's and
//   the company-visible deals, never the private one; searchDeals, searchItem, a saved
//   filter's deals and getDealsSummary leave it out too; getDeal (v2 and v1) answers it as
//   Pipedrive answers a deal that is not there (404 "Deal not found")
//   the admin sees every deal, the private one included, in the same calls
//   a webhook with B's user_id (to a listener on 127.0.0.1) gets the company-visible deal's
//   create and nothing of the private deal; the admin's own webhook gets both
//
// Environment (besides support.mjs's): DEALBASE_PYTHON and DEALBASE_DATABASE_URL, for the CLI
// (support.mjs: cliUserToken). The server runs with DEALBASE_WEBHOOKS_ALLOW_PRIVATE=1 (a listener on 127.0.0.1).

import { v1, v2 } from 'pipedrive';
import { v1 as classicV1 } from 'pipedrive-classic';
import {
  CLASSIC_SDK, V1_BASE, V1_SDK, V2_BASE, V2_SDK, apiToken, attempt, baseUrl, cliUserToken, dataOf, eq, instrument,
  lastStatus, listen, ok, run, runTag, sdk, step,
} from './support.mjs';

const PAGE = 3;
const NOT_FOUND_404 = {
  success: false, error: 'Deal not found', error_info: 'Please check developers.pipedrive.com', data: null,
  additional_data: null,
};
const summary = {};

// The SDK objects a user calls with (their token).
function as(token) {
  const v1Config = new v1.Configuration({ apiKey: token, basePath: V1_BASE });
  const v2Config = new v2.Configuration({ apiKey: token, basePath: V2_BASE });
  const classic = new classicV1.Configuration({ apiKey: token, basePath: V1_BASE });
  return {
    deals: instrument(new v2.DealsApi(v2Config), V2_SDK),
    itemSearch: instrument(new v2.ItemSearchApi(v2Config), V2_SDK),
    v1Deals: instrument(new v1.DealsApi(v1Config), V1_SDK),
    classicDeals: instrument(new classicV1.DealsApi(classic), CLASSIC_SDK),
    dealFields: instrument(new v1.DealFieldsApi(v1Config), V1_SDK),
    filters: instrument(new v1.FiltersApi(v1Config), V1_SDK),
    users: instrument(new v1.UsersApi(v1Config), V1_SDK),
    webhooks: instrument(new v1.WebhooksApi(v1Config), V1_SDK),
  };
}

const sorted = (ids) => [...ids].sort((a, b) => a - b);

// Every deal id of v2 getDeals, page by page through the cursor (each page but the last full).
async function v2Ids(api, what, params = {}) {
  const ids = [];
  let cursor;
  for (let page = 1; ; page += 1) {
    ok(page <= 100, `${what}: the cursor does not advance`);
    const res = await sdk(`${what} page ${page}`, () => api.deals.getDeals({ limit: PAGE, ...params, ...(cursor ? { cursor } : {}) }));
    const data = dataOf(res, `${what} page ${page}`);
    ids.push(...data.map((d) => d.id));
    cursor = res.additional_data.next_cursor;
    if (cursor === null) return ids;
    eq(data.length, PAGE, `${what} page ${page}: a full page before the last`);
  }
}

// Every deal id of v1 getDeals (classic SDK), page by page by start.
async function v1Ids(api, what) {
  const ids = [];
  let start = 0;
  for (let page = 1; ; page += 1) {
    ok(page <= 100, `${what}: next_start does not advance`);
    const res = await sdk(`${what} start=${start}`, () => api.classicDeals.getDeals({ start, limit: PAGE }));
    eq(res.success, true, `${what} start=${start}: success`);
    const data = res.data === null ? [] : res.data;
    ids.push(...data.map((d) => d.id));
    const pagination = res.additional_data.pagination;
    if (!pagination.more_items_in_collection) return ids;
    eq(data.length, PAGE, `${what} start=${start}: a full page before the last`);
    start = pagination.next_start;
  }
}

async function expectMissing(fn, what) {
  const res = await attempt(fn);
  ok(!res.ok, `${what}: expected a 404, the call succeeded`, res.value);
  eq(lastStatus(), 404, `${what}: HTTP status`);
  eq(res.rejection, NOT_FOUND_404, `${what}: body`);
}

const received = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(check, ms, what) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return;
    await sleep(50);
  }
  ok(check(), `${what}: not within ${ms} ms`, received.map((r) => `${r.path} ${r.body.meta.action} ${r.body.meta.entity_id}`));
}

async function main() {
  console.log(`dealbase e2e visibility scenario against ${baseUrl}`);
  const admin = as(apiToken);
  const word = `quokka${runTag}`;

  step('the admin adds user B; the CLI prints B\'s token');
  const email = `b-${runTag}@example.com`;
  const b = dataOf(await sdk('addUser', () => admin.users.addUser({ AddUserRequest: { email } })), 'addUser');
  eq(b.access.map((a) => a.admin), [false, false], 'addUser: B is no admin');
  const asB = as(cliUserToken(email));

  step('webhooks: one acting for B, one for the admin, both for deal events');
  const server = await listen((request) => received.push(request));
  const listener = `http://127.0.0.1:${server.address().port}`;
  try {
    const hook = (path, userId) => sdk(`addWebhook ${path}`, () => admin.webhooks.addWebhook({
      AddWebhookRequest: {
        subscription_url: `${listener}${path}`, event_action: 'create', event_object: 'deal', name: `${path} ${runTag}`,
        version: '2.0', user_id: userId,
      },
    }));
    const bHook = dataOf(await hook('/b', b.id), 'addWebhook for B');
    eq(bHook.user_id, b.id, 'addWebhook: user_id');
    dataOf(await hook('/admin', undefined), 'addWebhook for the admin');

    step('B adds deals of their own; the admin adds company-visible deals and one owner-only deal');
    const own = [];
    for (let i = 0; i < PAGE + 1; i += 1) {
      const deal = dataOf(await sdk(`addDeal B ${i}`, () => asB.deals.addDeal({
        AddDealRequest: { title: `B ${word} ${i}`, value: 10, currency: 'USD' },
      })), 'addDeal (B)');
      eq([deal.owner_id, deal.visible_to], [b.id, 3], 'B\'s deal: owner and the default visibility');
      own.push(deal.id);
    }
    const shared = [];
    for (let i = 0; i < PAGE + 1; i += 1) {
      const deal = dataOf(await sdk(`addDeal shared ${i}`, () => admin.deals.addDeal({
        AddDealRequest: { title: `Shared ${word} ${i}`, value: 100, currency: 'USD', visible_to: 3 },
      })), 'addDeal (shared)');
      shared.push(deal.id);
    }
    const secret = dataOf(await sdk('addDeal private', () => admin.deals.addDeal({
      AddDealRequest: { title: `Secret ${word}`, value: 5000, currency: 'USD', visible_to: 1 },
    })), 'addDeal (private)');
    eq(secret.visible_to, 1, 'the private deal: visible_to');
    const seen = sorted([...own, ...shared]);
    const everything = sorted([...seen, secret.id]);

    step('B: every page of v2 and v1 getDeals lists B\'s and the company-visible deals only');
    eq(sorted(await v2Ids(asB, 'getDeals v2 (B)')), seen, 'getDeals v2 (B)');
    eq(sorted(await v1Ids(asB, 'getDeals v1 (B)')), seen, 'getDeals v1 (B)');
    eq(sorted(await v2Ids(asB, 'getDeals v2 owner_id admin (B)', { owner_id: 1 })), sorted(shared), 'getDeals owner_id=admin (B)');

    step('B: search, itemSearch, a saved filter and the summary leave the private deal out');
    const found = dataOf(await sdk('searchDeals (B)', () => asB.deals.searchDeals({ term: word, limit: 100 })), 'searchDeals');
    eq(sorted(found.items.map((x) => x.item.id)), seen, 'searchDeals (B)');
    const exact = dataOf(await sdk('searchDeals exact (B)', () => asB.deals.searchDeals({ term: `Secret ${word}`, exact_match: true })), 'searchDeals exact');
    eq(exact.items, [], 'searchDeals by the private deal\'s exact title (B)');
    const items = dataOf(await sdk('searchItem (B)', () => asB.itemSearch.searchItem({ term: word, item_types: 'deal', limit: 100 })), 'searchItem');
    eq(sorted(items.items.map((x) => x.item.id)), seen, 'searchItem (B)');
    const fields = dataOf(await sdk('getDealFields (B)', () => asB.dealFields.getDealFields({ limit: 500 })), 'getDealFields');
    const valueField = fields.find((f) => f.key === 'value');
    const filter = dataOf(await sdk('addFilter (B)', () => asB.filters.addFilter({
      AddFilterRequest: {
        name: `Worth something ${runTag}`, type: 'deals',
        conditions: {
          glue: 'and',
          conditions: [
            { glue: 'and', conditions: [{ object: 'deal', field_id: String(valueField.id), operator: '>', value: '0', extra_value: null }] },
            { glue: 'or', conditions: [] },
          ],
        },
      },
    })), 'addFilter (B)');
    eq(sorted(await v2Ids(asB, 'getDeals filter_id (B)', { filter_id: filter.id })), seen, 'a saved filter\'s deals (B)');
    const bSummary = dataOf(await sdk('getDealsSummary (B)', () => asB.v1Deals.getDealsSummary()), 'getDealsSummary (B)');
    eq([bSummary.total_count, bSummary.values_total.USD.value], [seen.length, 10 * own.length + 100 * shared.length], 'getDealsSummary (B)');

    step('B: reading the private deal by id answers as a missing deal');
    await expectMissing(() => asB.deals.getDeal({ id: secret.id }), 'getDeal v2 (B)');
    await expectMissing(() => asB.classicDeals.getDeal({ id: secret.id }), 'getDeal v1 (B)');

    step('the admin sees every deal, the private one included');
    eq(sorted(await v2Ids(admin, 'getDeals v2 (admin)')), everything, 'getDeals v2 (admin)');
    eq(sorted(await v1Ids(admin, 'getDeals v1 (admin)')), everything, 'getDeals v1 (admin)');
    const all = dataOf(await sdk('searchDeals (admin)', () => admin.deals.searchDeals({ term: word, limit: 100 })), 'searchDeals');
    eq(sorted(all.items.map((x) => x.item.id)), everything, 'searchDeals (admin)');
    const aSummary = dataOf(await sdk('getDealsSummary (admin)', () => admin.v1Deals.getDealsSummary()), 'getDealsSummary');
    eq(aSummary.total_count, everything.length, 'getDealsSummary (admin)');
    eq(dataOf(await sdk('getDeal (admin)', () => admin.deals.getDeal({ id: secret.id })), 'getDeal').title, `Secret ${word}`, 'getDeal (admin)');

    step('B\'s webhook: the creates of B\'s and the company-visible deals, nothing of the private one');
    const creates = (path) => sorted(received.filter((r) => r.path === path).map((r) => r.body.data.id));
    await until(() => creates('/admin').length === everything.length && creates('/b').length === seen.length, 5000, 'the deliveries');
    await sleep(300);
    eq(creates('/b'), seen, 'the deals whose creates B\'s webhook got');
    eq(creates('/admin'), everything, 'the deals whose creates the admin\'s webhook got');
    summary.deals_b_sees = seen.length;
    summary.webhook_events = { b: creates('/b').length, admin: creates('/admin').length };
  } finally {
    server.close();
  }
}

await run(main, summary);
