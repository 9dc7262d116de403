// End-to-end scenario for the sandbox (`dealbase serve --sandbox`): the OFFICIAL
// Pipedrive Node SDK, unchanged and pointed at the server only by its base
// path, works in companies made through the control plane (`/_dealbase/`,
// called here with plain fetch).
//
//   companies  - two made at once (Promise.all), each filled at once with an
//                organization, a person, a custom deal field and two deals
//   isolation  - each one's lists (v2 and v1), search and item search hold only
//                its own rows; the other's ids are the Pipedrive 404, read or written
//   reset      - one company reset: empty, its token still working; the other's
//                rows unchanged
//   snapshot   - saved, then deals, a person and the custom field deleted and a
//                deal made; the restore brings back every id, the field's key and
//                the values, removes the newer deal; the next create gets a new id
//   journal    - the company's `getDeals` calls: operationId, status, the SDK's
//                user agent, the token redacted and written nowhere in the journal
//   delete     - a company deleted: its token refused; the next company made has
//                an id, and a journal, of its own
//
// Environment: DEALBASE_URL and DEALBASE_CONTROL_TOKEN (see support.mjs).

import { v1, v2 } from 'pipedrive';
import { v1 as classicV1 } from 'pipedrive-classic';
import {
  CLASSIC_SDK_VERSION, SDK_VERSION, V1_BASE, V2_BASE, attempt, baseUrl, controlToken, dataOf, eq, expectNotFound,
  fail, instrument, lastStatus, ok, run, runTag, sdk, step,
} from './support.mjs';

const V2_SDK = `pipedrive@${SDK_VERSION} v2`;
const V1_SDK = `pipedrive@${SDK_VERSION} v1`;
const CLASSIC_SDK = `pipedrive@${CLASSIC_SDK_VERSION} v1`;
const REDACTED = '[redacted]';
// A word in the titles of both companies' first deals, so each search could find the other's.
const SHARED = `sandbox${runTag}`;

const summary = {};

// ----------------------------------------------------------- control plane

async function control(method, path, body, expected) {
  const res = await fetch(`${baseUrl}/_dealbase${path}`, {
    method,
    headers: { authorization: `Bearer ${controlToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail(`${method} /_dealbase${path}: the answer is not JSON`, { status: res.status, body: text.slice(0, 500) });
  }
  ok(res.status === expected, `${method} /_dealbase${path}: expected HTTP ${expected}, got ${res.status}`, parsed);
  return parsed;
}

// ---------------------------------------------------------------- a company

// The SDK's clients for one company: only the base path and the company's token.
function clients(made) {
  const v2Config = new v2.Configuration({ apiKey: made.api_token, basePath: V2_BASE });
  const v1Config = new v1.Configuration({ apiKey: made.api_token, basePath: V1_BASE });
  const classicConfig = new classicV1.Configuration({ apiKey: made.api_token, basePath: V1_BASE });
  return {
    id: made.id,
    name: made.name,
    token: made.api_token,
    deals: instrument(new v2.DealsApi(v2Config), V2_SDK),
    persons: instrument(new v2.PersonsApi(v2Config), V2_SDK),
    organizations: instrument(new v2.OrganizationsApi(v2Config), V2_SDK),
    dealFields: instrument(new v2.DealFieldsApi(v2Config), V2_SDK),
    itemSearch: instrument(new v2.ItemSearchApi(v2Config), V2_SDK),
    dealFieldsV1: instrument(new v1.DealFieldsApi(v1Config), V1_SDK),
    classicDeals: instrument(new classicV1.DealsApi(classicConfig), CLASSIC_SDK),
  };
}

function checkMade(made, name, what) {
  ok(Number.isInteger(made.id) && made.id > 0, `${what}: id is a positive integer`, made.id);
  eq(made.name, name, `${what}: name`);
  ok(/^[0-9a-f]{40}$/.test(made.api_token), `${what}: api_token is 40 hex characters`, made.api_token);
  ok(typeof made.domain === 'string' && made.domain.length > 0, `${what}: domain`, made.domain);
  eq(made.users.length, 1, `${what}: one user`);
  eq(made.users[0].is_admin, true, `${what}: users[0].is_admin`);
  eq(made.users[0].api_token, made.api_token, `${what}: api_token is the admin's`);
}

// An organization, a person in it, a custom deal field and two deals, the first
// on both with the field set; every answer checked against what was sent.
async function populate(c, word, region) {
  const label = `${c.name}`;
  const org = dataOf(await sdk(`${label} addOrganization`, () => c.organizations.addOrganization({
    AddOrganizationRequest: { name: `${word} Holdings` },
  })), `${label} addOrganization`);
  eq(org.name, `${word} Holdings`, `${label} addOrganization: data.name`);
  const email = `${word}@example.com`;
  const person = dataOf(await sdk(`${label} addPerson`, () => c.persons.addPerson({
    AddPersonRequest: { name: `Pat ${word}`, org_id: org.id, emails: [{ value: email, primary: true, label: 'work' }] },
  })), `${label} addPerson`);
  eq(person.org_id, org.id, `${label} addPerson: data.org_id`);
  eq((person.emails || []).map((e) => e.value), [email], `${label} addPerson: data.emails`);
  const field = dataOf(await sdk(`${label} addDealField`, () => c.dealFields.addDealField({
    AddDealFieldRequest: { field_name: `Region ${word}`, field_type: 'varchar' },
  })), `${label} addDealField`);
  ok(typeof field.field_code === 'string' && field.field_code.length === 40,
    `${label} addDealField: data.field_code is a 40-character key`, field.field_code);
  const first = dataOf(await sdk(`${label} addDeal (first)`, () => c.deals.addDeal({
    AddDealRequest: {
      title: `${word} ${SHARED} renewal`, value: 1200, currency: 'EUR', person_id: person.id, org_id: org.id,
      custom_fields: { [field.field_code]: region },
    },
  })), `${label} addDeal (first)`);
  eq([first.value, first.currency, first.person_id, first.org_id], [1200, 'EUR', person.id, org.id],
    `${label} addDeal: value, currency, person_id, org_id`);
  eq(first.custom_fields[field.field_code], region, `${label} addDeal: data.custom_fields[code]`);
  const second = dataOf(await sdk(`${label} addDeal (second)`, () => c.deals.addDeal({
    AddDealRequest: { title: `${word} upsell`, value: 300, currency: 'USD' },
  })), `${label} addDeal (second)`);
  eq([second.value, second.currency], [300, 'USD'], `${label} addDeal (second): value, currency`);
  return { word, region, org, person, field, deals: [first, second] };
}

const ids = (items) => (items || []).map((x) => x.id).sort((a, b) => a - b);
const searchIds = (found) => (found.items || []).map((x) => x.item.id).sort((a, b) => a - b);

async function listed(c, label) {
  return {
    deals: ids(dataOf(await sdk(`${label} getDeals`, () => c.deals.getDeals({ limit: 500 })), `${label} getDeals`)),
    persons: ids(dataOf(await sdk(`${label} getPersons`, () => c.persons.getPersons({ limit: 500 })), `${label} getPersons`)),
    organizations: ids(dataOf(await sdk(`${label} getOrganizations`,
      () => c.organizations.getOrganizations({ limit: 500 })), `${label} getOrganizations`)),
    v1Deals: await v1DealIds(c, label),
  };
}

// v1 lists answer `data: null` when empty, as Pipedrive's do.
async function v1DealIds(c, label) {
  const res = await sdk(`${label} v1 getDeals`, () => c.classicDeals.getDeals({ start: 0, limit: 500 }));
  eq(res.success, true, `${label} v1 getDeals: success`);
  ok(res.data === null || (Array.isArray(res.data) && res.data.length > 0),
    `${label} v1 getDeals: data is null or a non-empty list`, res.data);
  return ids(res.data);
}

async function fieldCodes(c, label) {
  const v2Fields = dataOf(await sdk(`${label} getDealFields`, () => c.dealFields.getDealFields({ limit: 500 })),
    `${label} getDealFields`);
  const v1Fields = dataOf(await sdk(`${label} v1 getDealFields`,
    () => c.dealFieldsV1.getDealFields({ start: 0, limit: 500 })), `${label} v1 getDealFields`);
  return { v2: v2Fields.map((f) => f.field_code), v1: v1Fields.map((f) => f.key) };
}

// Everything `c` made is in its lists and searches; nothing of `other`'s is, and
// reading or writing the other's ids is the Pipedrive 404.
async function proveIsolated(c, mine, other, theirs) {
  const label = c.name;
  eq(await listed(c, label), {
    deals: ids(mine.deals), persons: [mine.person.id], organizations: [mine.org.id], v1Deals: ids(mine.deals),
  }, `${label}: its lists hold exactly its own rows`);

  const codes = await fieldCodes(c, label);
  for (const api of ['v2', 'v1']) {
    ok(codes[api].includes(mine.field.field_code), `${label} ${api} getDealFields: its own field`, codes[api]);
    ok(!codes[api].includes(theirs.field.field_code), `${label} ${api} getDealFields: not ${other.name}'s field`, codes[api]);
  }

  const shared = dataOf(await sdk(`${label} searchDeals shared`, () => c.deals.searchDeals({ term: SHARED })),
    `${label} searchDeals`);
  eq(searchIds(shared), [mine.deals[0].id], `${label} searchDeals "${SHARED}": only its own deal`);
  const foreign = dataOf(await sdk(`${label} searchDeals other`, () => c.deals.searchDeals({ term: theirs.word })),
    `${label} searchDeals other`);
  eq(searchIds(foreign), [], `${label} searchDeals "${theirs.word}" (${other.name}'s word)`);
  const items = dataOf(await sdk(`${label} searchItem`, () => c.itemSearch.searchItem({ term: theirs.word })),
    `${label} searchItem`);
  eq((items.items || []).map((x) => `${x.item.type}:${x.item.id}`), [],
    `${label} searchItem "${theirs.word}": none of ${other.name}'s deals, person or organization`);
  const own = dataOf(await sdk(`${label} searchItem own`, () => c.itemSearch.searchItem({ term: mine.word })),
    `${label} searchItem own`);
  const ownKeys = (own.items || []).map((x) => `${x.item.type}:${x.item.id}`).sort();
  const expectedKeys = [...mine.deals.map((d) => `deal:${d.id}`), `person:${mine.person.id}`,
    `organization:${mine.org.id}`].sort();
  eq(ownKeys, expectedKeys, `${label} searchItem "${mine.word}": its deals, person and organization`);

  const theirDeal = theirs.deals[0];
  const notFound = await expectNotFound(() => c.deals.getDeal({ id: theirDeal.id }), `${label} getDeal(${other.name}'s deal)`);
  ok(typeof notFound.error === 'string' && notFound.error.length > 0, `${label}: the 404 names an error`, notFound);
  await expectNotFound(() => c.classicDeals.getDeal({ id: theirDeal.id }), `${label} v1 getDeal(${other.name}'s deal)`);
  await expectNotFound(() => c.persons.getPerson({ id: theirs.person.id }), `${label} getPerson(${other.name}'s person)`);
  await expectNotFound(() => c.organizations.getOrganization({ id: theirs.org.id }),
    `${label} getOrganization(${other.name}'s organization)`);
  await expectNotFound(() => c.dealFields.getDealField({ field_code: theirs.field.field_code }),
    `${label} getDealField(${other.name}'s field)`);
  await expectNotFound(() => c.deals.updateDeal({ id: theirDeal.id, UpdateDealRequest: { title: 'hijacked' } }),
    `${label} updateDeal(${other.name}'s deal)`);
  await expectNotFound(() => c.deals.deleteDeal({ id: theirDeal.id }), `${label} deleteDeal(${other.name}'s deal)`);
}

async function dealsOf(c, made, label) {
  const shown = [];
  for (const d of made) shown.push(dataOf(await sdk(`${label} getDeal ${d.id}`, () => c.deals.getDeal({ id: d.id })), `${label} getDeal`));
  return shown;
}

// ------------------------------------------------------------------- scenario

async function main() {
  console.log(`dealbase e2e sandbox scenario against ${baseUrl}`);
  if (!controlToken) fail('DEALBASE_CONTROL_TOKEN is not set: the scenario makes its companies through the control plane');

  step('control plane: two companies made in parallel');
  const names = [`Alpha ${runTag}`, `Beta ${runTag}`];
  const made = await Promise.all(names.map((name) => control('POST', '/companies', { name }, 201)));
  made.forEach((m, i) => checkMade(m, names[i], `POST /_dealbase/companies ${names[i]}`));
  ok(made[0].id !== made[1].id, 'the two companies have different ids', made.map((m) => m.id));
  ok(made[0].api_token !== made[1].api_token, 'the two companies have different tokens');
  const listedCompanies = await control('GET', '/companies', undefined, 200);
  for (const m of made) {
    const found = listedCompanies.find((x) => x.id === m.id);
    eq(found && [found.name, found.api_token], [m.name, m.api_token], `GET /_dealbase/companies: company ${m.id}`);
  }
  const [alpha, beta] = made.map(clients);
  summary.companies = made.map((m) => ({ id: m.id, name: m.name }));

  step('SDK: both companies filled in parallel');
  const [a, b] = await Promise.all([populate(alpha, `alpha${runTag}`, 'EMEA'), populate(beta, `beta${runTag}`, 'APAC')]);

  step('isolation: neither company sees the other');
  await proveIsolated(alpha, a, beta, b);
  await proveIsolated(beta, b, alpha, a);
  // the refused writes above changed nothing
  const betaFirst = dataOf(await sdk('beta getDeal', () => beta.deals.getDeal({ id: b.deals[0].id })), 'beta getDeal');
  eq([betaFirst.title, betaFirst.value, betaFirst.custom_fields[b.field.field_code]],
    [b.deals[0].title, 1200, 'APAC'], 'beta: its deal after alpha tried to change and delete it');

  step('reset: beta emptied, alpha untouched');
  const alphaBefore = await dealsOf(alpha, a.deals, 'alpha');
  const alphaPersonBefore = dataOf(await sdk('alpha getPerson', () => alpha.persons.getPerson({ id: a.person.id })), 'getPerson');
  const reset = await control('POST', `/companies/${beta.id}/reset`, {}, 200);
  eq([reset.id, reset.name, reset.api_token], [beta.id, beta.name, beta.token], 'reset: the company, its token kept');
  eq(await listed(beta, 'beta after reset'), { deals: [], persons: [], organizations: [], v1Deals: [] },
    'beta after reset: empty lists');
  const betaCodes = await fieldCodes(beta, 'beta after reset');
  ok(!betaCodes.v2.includes(b.field.field_code) && !betaCodes.v1.includes(b.field.field_code),
    'beta after reset: its custom field is gone', betaCodes);
  await expectNotFound(() => beta.deals.getDeal({ id: b.deals[0].id }), 'beta getDeal after reset');
  await expectNotFound(() => beta.dealFields.getDealField({ field_code: b.field.field_code }), 'beta getDealField after reset');
  eq(searchIds(dataOf(await sdk('beta searchDeals after reset', () => beta.deals.searchDeals({ term: SHARED })),
    'beta searchDeals after reset')), [], 'beta searchDeals after reset');
  eq(await dealsOf(alpha, a.deals, 'alpha after reset'), alphaBefore, 'alpha: its deals after beta\'s reset, unchanged');
  eq(dataOf(await sdk('alpha getPerson', () => alpha.persons.getPerson({ id: a.person.id })), 'getPerson'),
    alphaPersonBefore, 'alpha: its person after beta\'s reset, unchanged');
  eq(await listed(alpha, 'alpha after reset'), {
    deals: ids(a.deals), persons: [a.person.id], organizations: [a.org.id], v1Deals: ids(a.deals),
  }, 'alpha after beta\'s reset: its lists');
  const betaNew = dataOf(await sdk('beta addDeal after reset', () => beta.deals.addDeal({
    AddDealRequest: { title: `beta after reset ${runTag}` },
  })), 'beta addDeal after reset');
  ok(Number.isInteger(betaNew.id) && !ids(a.deals).includes(betaNew.id),
    'beta after reset: a new deal, its id no other live deal\'s', betaNew.id);
  eq(await listed(beta, 'beta after its new deal'), { deals: [betaNew.id], persons: [], organizations: [], v1Deals: [betaNew.id] },
    'beta after reset and a create: its lists');

  step('snapshot: alpha saved, then deletes');
  const snapshotName = `before-deletes-${runTag}`;
  const saved = await control('POST', `/companies/${alpha.id}/snapshots`, { name: snapshotName }, 201);
  eq(saved.name, snapshotName, 'snapshot: name');
  eq([saved.counts.deals, saved.counts.persons, saved.counts.organizations], [2, 1, 1],
    'snapshot: counts of deals, persons, organizations');
  const snapshots = await control('GET', `/companies/${alpha.id}/snapshots`, undefined, 200);
  eq(snapshots.map((s) => s.name), [snapshotName], 'GET snapshots: names');
  const fieldBefore = dataOf(await sdk('alpha getDealField', () => alpha.dealFields.getDealField({ field_code: a.field.field_code })),
    'getDealField');
  for (const d of a.deals) {
    eq(dataOf(await sdk(`alpha deleteDeal ${d.id}`, () => alpha.deals.deleteDeal({ id: d.id })), 'deleteDeal').id, d.id,
      'deleteDeal: data.id');
  }
  eq(dataOf(await sdk('alpha deletePerson', () => alpha.persons.deletePerson({ id: a.person.id })), 'deletePerson').id,
    a.person.id, 'deletePerson: data.id');
  dataOf(await sdk('alpha deleteDealField', () => alpha.dealFields.deleteDealField({ field_code: a.field.field_code })),
    'deleteDealField');
  const between = dataOf(await sdk('alpha addDeal after the snapshot', () => alpha.deals.addDeal({
    AddDealRequest: { title: `made after the snapshot ${runTag}` },
  })), 'addDeal after the snapshot');
  eq(await listed(alpha, 'alpha after deletes'), {
    deals: [between.id], persons: [], organizations: [a.org.id], v1Deals: [between.id],
  }, 'alpha after the deletes: its lists');
  await expectNotFound(() => alpha.dealFields.getDealField({ field_code: a.field.field_code }), 'getDealField after delete');

  step('snapshot: restored, every id, key and value back');
  const restored = await control('POST', `/companies/${alpha.id}/snapshots/${snapshotName}/restore`, {}, 200);
  eq(restored.name, snapshotName, 'restore: name');
  eq(await listed(alpha, 'alpha after restore'), {
    deals: ids(a.deals), persons: [a.person.id], organizations: [a.org.id], v1Deals: ids(a.deals),
  }, 'alpha after the restore: its lists, the deal made after the snapshot gone');
  eq(await dealsOf(alpha, a.deals, 'alpha after restore'), alphaBefore, 'alpha after the restore: each deal as it was');
  eq(dataOf(await sdk('alpha getPerson after restore', () => alpha.persons.getPerson({ id: a.person.id })), 'getPerson'),
    alphaPersonBefore, 'alpha after the restore: the person as it was');
  eq(dataOf(await sdk('alpha getDealField after restore',
    () => alpha.dealFields.getDealField({ field_code: a.field.field_code })), 'getDealField'), fieldBefore,
  'alpha after the restore: the custom field, same key');
  const classicBack = dataOf(await sdk('alpha v1 getDeal after restore',
    () => alpha.classicDeals.getDeal({ id: a.deals[0].id })), 'v1 getDeal');
  eq(classicBack[a.field.field_code], 'EMEA', 'alpha after the restore: v1 getDeal data[field key]');
  await expectNotFound(() => alpha.deals.getDeal({ id: between.id }), 'alpha getDeal of the deal made after the snapshot');
  eq(searchIds(dataOf(await sdk('alpha searchDeals after restore', () => alpha.deals.searchDeals({ term: SHARED })),
    'searchDeals after restore')), [a.deals[0].id], 'alpha searchDeals after the restore');
  const fresh = dataOf(await sdk('alpha addDeal after restore', () => alpha.deals.addDeal({
    AddDealRequest: { title: `after the restore ${runTag}`, custom_fields: { [a.field.field_code]: 'LATAM' } },
  })), 'addDeal after restore');
  // (no collision: on PostgreSQL the restore moves each id sequence past the restored ids; on
  // SQLite a new row takes the largest id + 1, so the id of a row the restore removed comes again)
  ok(fresh.id > Math.max(...ids(a.deals)) && fresh.id !== betaNew.id,
    'addDeal after the restore: an id past the restored ones, no other deal\'s', fresh.id);
  eq(dataOf(await sdk('alpha getDeal of the new deal', () => alpha.deals.getDeal({ id: fresh.id })), 'getDeal').title,
    `after the restore ${runTag}`, 'alpha after the restore: the new deal reads back');
  eq(fresh.custom_fields[a.field.field_code], 'LATAM', 'addDeal after the restore: the restored field takes values');
  const freshPerson = dataOf(await sdk('alpha addPerson after restore', () => alpha.persons.addPerson({
    AddPersonRequest: { name: `After restore ${runTag}` },
  })), 'addPerson after restore');
  ok(freshPerson.id > a.person.id, 'addPerson after the restore: a new id', freshPerson.id);
  eq(await listed(beta, 'beta after alpha\'s restore'), { deals: [betaNew.id], persons: [], organizations: [], v1Deals: [betaNew.id] },
    'beta after alpha\'s restore: its lists, unchanged');
  summary.restored = {
    deals: ids(a.deals), person: a.person.id, field: a.field.field_code, made_between: between.id, next_deal: fresh.id,
  };

  step('journal: alpha\'s getDeals calls, token redacted');
  await sdk('alpha getDeals for the journal', () => alpha.deals.getDeals({ limit: 7 }));
  const journal = await control('GET', `/companies/${alpha.id}/requests?operation=getDeals`, undefined, 200);
  const calls = journal.requests;
  ok(calls.length >= 2, 'journal: the getDeals calls', calls);
  eq([...new Set(calls.map((r) => r.operationId))], ['getDeals'], 'journal ?operation=getDeals: operationIds');
  const times = calls.map((r) => Date.parse(r.time));
  ok(times.every((t, i) => i === 0 || times[i - 1] >= t), 'journal: newest first', calls.map((r) => r.time));
  const newest = calls[0];
  eq([newest.method, newest.path, newest.query, newest.status], ['GET', '/api/v2/deals', { limit: '7' }, 200],
    'journal: the newest getDeals (method, path, query, status)');
  eq(newest.user_agent, `Pipedrive-SDK-Javascript-${SDK_VERSION}`, 'journal: the SDK\'s user agent');
  eq(newest.headers['x-api-token'], REDACTED, 'journal: the x-api-token header redacted');
  ok(typeof newest.latency_ms === 'number' && newest.latency_ms >= 0, 'journal: latency_ms', newest.latency_ms);
  ok(typeof newest.response === 'string' && newest.response.startsWith('{"success":true'),
    'journal: the start of the answer', newest.response);
  const classicCall = calls.find((r) => r.path === '/v1/deals');
  ok(classicCall, 'journal: the classic v1 SDK\'s getDeals too', calls.map((r) => r.path));
  eq([classicCall.status, classicCall.user_agent], [200, `Pipedrive-SDK-Javascript-${CLASSIC_SDK_VERSION}`],
    'journal: the v1 getDeals (status, user agent)');
  const refused = await control('GET', `/companies/${alpha.id}/requests?operation=getDeal&status=404`, undefined, 200);
  ok(refused.requests.some((r) => r.path === `/api/v2/deals/${b.deals[0].id}` && r.operationId === 'getDeal'),
    'journal ?status=404: alpha\'s read of beta\'s deal', refused.requests.map((r) => r.path));
  const everything = JSON.stringify(await control('GET', `/companies/${alpha.id}/requests?limit=1000`, undefined, 200));
  ok(everything.includes(REDACTED), 'journal: redactions shown');
  ok(!everything.includes(alpha.token), 'journal: alpha\'s raw token appears nowhere in its journal');
  ok(!everything.includes(beta.token), 'journal: beta\'s token appears nowhere in alpha\'s journal');
  const betaJournal = await control('GET', `/companies/${beta.id}/requests?limit=1000`, undefined, 200);
  const betaPaths = betaJournal.requests.map((r) => `${r.status} ${r.path}`);
  ok(betaPaths.includes(`404 /api/v2/deals/${a.deals[0].id}`), 'beta\'s journal: its read of alpha\'s deal', betaPaths);
  ok(!betaJournal.requests.some((r) => r.query.limit === '7'), 'beta\'s journal: not alpha\'s getDeals', betaPaths);
  step('delete: beta gone, its token refused; the next company gets an id of its own');
  eq(await control('DELETE', `/companies/${beta.id}`, undefined, 200), { id: beta.id, deleted: true }, 'DELETE beta');
  const stale = await attempt(() => beta.deals.getDeals({}));
  ok(!stale.ok, 'beta\'s token after the delete: refused', stale.value);
  eq(lastStatus(), 401, 'beta\'s token after the delete: HTTP status');
  await control('GET', `/companies/${beta.id}`, undefined, 404);
  const next = await control('POST', '/companies', { name: `Gamma ${runTag}` }, 201);
  ok(next.id > beta.id, 'the company made after beta\'s delete: a new id', next.id);
  const gamma = clients(next);
  eq(await listed(gamma, 'gamma'), { deals: [], persons: [], organizations: [], v1Deals: [] }, 'gamma: empty lists');
  const gammaJournal = await control('GET', `/companies/${gamma.id}/requests?limit=1000`, undefined, 200);
  eq(gammaJournal.requests.map((r) => r.path).sort(), ['/api/v2/deals', '/api/v2/organizations', '/api/v2/persons', '/v1/deals'],
    'gamma\'s journal: its own four list calls, nothing of beta\'s');
  summary.journal = { getDeals: calls.length, newest: `${newest.method} ${newest.path} ${newest.status} ${newest.user_agent}` };
}

await run(main, summary);
