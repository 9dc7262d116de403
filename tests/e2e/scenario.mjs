// End-to-end pipeline scenario: drives a running `dealbase serve` with the
// OFFICIAL Pipedrive Node SDK, unchanged.
//
//   part 1 - `pipedrive` (current release), its v2 namespace:
//            pipeline, stages, organization, person, deals, stage move,
//            won deal, 150 deals paged through with the cursor
//   part 2 - `pipedrive-classic` (an older release of the same package,
//            installed through an npm alias) whose v1 namespace still has
//            the classic /v1/deals CRUD: start/limit paging, PUT, DELETE
//
// Environment:
//   DEALBASE_URL        server root, e.g. http://127.0.0.1:8000 (no /api/v2)
//   DEALBASE_API_TOKEN  the API token (sent by the SDK as `x-api-token`)
//
// Exits 0 when every assertion holds; on the first failed assertion prints
// what was checked, what came back and the HTTP exchange behind it, then
// exits 1. Exit 2 means the script was misconfigured.

import { v2 } from 'pipedrive';
import { v1 as classicV1 } from 'pipedrive-classic';
import {
  CLASSIC_SDK_VERSION, SDK_VERSION, V1_BASE, V2_BASE, apiToken, attempt, baseUrl, dataOf, eq, instrument,
  lastStatus, ok, recentV2Timestamp, run, runTag, sdk, show, step,
} from './support.mjs';

const TOTAL_DEALS = 150;
const PAGE = 50;

function checkEmailsOrPhones(actual, sent, what) {
  ok(Array.isArray(actual), `${what}: expected an array`, actual);
  eq(actual.length, sent.length, `${what}: number of entries`);
  sent.forEach((s, i) => {
    const a = actual[i] || {};
    eq(a.value, s.value, `${what}[${i}].value`);
    eq(a.label, s.label, `${what}[${i}].label`);
    eq(a.primary, s.primary, `${what}[${i}].primary`);
  });
  eq(actual.filter((e) => e.primary === true).length, 1, `${what}: number of primary entries`);
}

// ------------------------------------------------------------- the SDKs

const v2Config = new v2.Configuration({ apiKey: apiToken, basePath: V2_BASE });
const pipelines = instrument(new v2.PipelinesApi(v2Config), `pipedrive@${SDK_VERSION} v2`);
const stages = instrument(new v2.StagesApi(v2Config), `pipedrive@${SDK_VERSION} v2`);
const organizations = instrument(new v2.OrganizationsApi(v2Config), `pipedrive@${SDK_VERSION} v2`);
const persons = instrument(new v2.PersonsApi(v2Config), `pipedrive@${SDK_VERSION} v2`);
const deals = instrument(new v2.DealsApi(v2Config), `pipedrive@${SDK_VERSION} v2`);

const v1Config = new classicV1.Configuration({ apiKey: apiToken, basePath: V1_BASE });
const classicDeals = instrument(new classicV1.DealsApi(v1Config), `pipedrive@${CLASSIC_SDK_VERSION} v1`);

// ----------------------------------------------------------- scenario

const summary = {};

// Pages through GET /api/v2/deals with the cursor; returns the ids in order.
async function pageV2Deals(extraParams, what) {
  const ids = [];
  const pageSizes = [];
  let cursor;
  for (let page = 1; ; page += 1) {
    ok(page <= 100, `${what}: more than 100 pages, the cursor does not advance`);
    const params = { limit: PAGE, ...extraParams };
    if (cursor !== undefined) params.cursor = cursor;
    const res = await sdk(`${what}: getDeals page ${page}`, () => deals.getDeals(params));
    const data = dataOf(res, `${what} page ${page}`);
    ok(Array.isArray(data), `${what} page ${page}: data is not an array`, data);
    ok(data.length <= PAGE, `${what} page ${page}: ${data.length} deals returned for limit ${PAGE}`);
    ok(res.additional_data && typeof res.additional_data === 'object',
      `${what} page ${page}: no additional_data`, res.additional_data);
    ok('next_cursor' in res.additional_data,
      `${what} page ${page}: additional_data has no next_cursor key`, res.additional_data);
    for (const d of data) ids.push(d.id);
    pageSizes.push(data.length);
    const next = res.additional_data.next_cursor;
    if (next === null) break;
    ok(typeof next === 'string' && next.length > 0,
      `${what} page ${page}: next_cursor must be a non-empty string or null`, next);
    ok(next !== cursor, `${what} page ${page}: next_cursor did not change`, next);
    cursor = next;
  }
  return { ids, pageSizes };
}

// Pages through GET /v1/deals with start/limit; returns the deals.
async function pageV1Deals(what) {
  const all = [];
  const pageSizes = [];
  let start = 0;
  for (let page = 1; ; page += 1) {
    ok(page <= 100, `${what}: more than 100 pages, next_start does not advance`);
    const res = await sdk(`${what}: getDeals start=${start}`, () => classicDeals.getDeals({ start, limit: PAGE }));
    eq(res && res.success, true, `${what} start=${start}: success`);
    // an empty collection is `data: null` in v1
    const data = res.data === null ? [] : res.data;
    ok(Array.isArray(data), `${what} start=${start}: data is not an array`, res.data);
    ok(data.length <= PAGE, `${what} start=${start}: ${data.length} deals returned for limit ${PAGE}`);
    const pagination = res.additional_data && res.additional_data.pagination;
    ok(pagination && typeof pagination === 'object',
      `${what} start=${start}: no additional_data.pagination`, res.additional_data);
    eq(pagination.start, start, `${what} start=${start}: pagination.start`);
    eq(pagination.limit, PAGE, `${what} start=${start}: pagination.limit`);
    ok(typeof pagination.more_items_in_collection === 'boolean',
      `${what} start=${start}: pagination.more_items_in_collection must be a boolean`, pagination);
    all.push(...data);
    pageSizes.push(data.length);
    if (!pagination.more_items_in_collection) {
      ok(!('next_start' in pagination) || pagination.next_start === undefined,
        `${what} start=${start}: next_start present on the last page`, pagination);
      break;
    }
    eq(data.length, PAGE, `${what} start=${start}: a page that is not the last is full`);
    eq(pagination.next_start, start + PAGE, `${what} start=${start}: pagination.next_start`);
    start = pagination.next_start;
  }
  return { deals: all, pageSizes };
}

function dealExpectation(d, exp, what) {
  eq(d.title, exp.title, `${what}.title`);
  eq(d.pipeline_id, exp.pipeline_id, `${what}.pipeline_id`);
  eq(d.stage_id, exp.stage_id, `${what}.stage_id`);
  eq(d.person_id, exp.person_id, `${what}.person_id`);
  eq(d.org_id, exp.org_id, `${what}.org_id`);
  eq(d.value, exp.value, `${what}.value`);
  eq(d.currency, exp.currency, `${what}.currency`);
  eq(d.status, exp.status, `${what}.status`);
  eq(d.is_deleted, false, `${what}.is_deleted`);
}

async function main() {
  console.log(`dealbase e2e scenario against ${baseUrl}`);
  console.log(`  v2: pipedrive@${SDK_VERSION}  basePath ${V2_BASE}`);
  console.log(`  v1: pipedrive@${CLASSIC_SDK_VERSION} (as pipedrive-classic)  basePath ${V1_BASE}`);

  // ============================================ part 1: v2, current SDK
  step('v2: deals present before the scenario');
  const before = await pageV2Deals({}, 'v2 initial listing');
  const preexisting = before.ids.length;
  summary.preexisting_deals = preexisting;

  step('v2: create a pipeline');
  const pipelineName = `E2E pipeline ${runTag}`;
  const pipeline = dataOf(await sdk('addPipeline', () => pipelines.addPipeline({
    AddPipelineRequest: { name: pipelineName, is_deal_probability_enabled: true },
  })), 'addPipeline');
  ok(Number.isInteger(pipeline.id) && pipeline.id > 0, 'addPipeline: data.id must be a positive integer', pipeline.id);
  eq(pipeline.name, pipelineName, 'addPipeline: data.name');
  eq(pipeline.is_deal_probability_enabled, true, 'addPipeline: data.is_deal_probability_enabled');
  eq(pipeline.is_deleted, false, 'addPipeline: data.is_deleted');
  recentV2Timestamp(pipeline.add_time, 'addPipeline: data.add_time');
  const pipelineBack = dataOf(await sdk('getPipeline', () => pipelines.getPipeline({ id: pipeline.id })), 'getPipeline');
  eq(pipelineBack.id, pipeline.id, 'getPipeline: data.id');
  eq(pipelineBack.name, pipelineName, 'getPipeline: data.name');

  step('v2: create 3 stages in it');
  const stageSpecs = [
    { name: 'Qualified', deal_probability: 20 },
    { name: 'Proposal made', deal_probability: 60 },
    { name: 'Negotiation', deal_probability: 90, is_deal_rot_enabled: true, days_to_rotten: 14 },
  ];
  const createdStages = [];
  for (const spec of stageSpecs) {
    const st = dataOf(await sdk(`addStage ${spec.name}`, () => stages.addStage({
      AddStageRequest: { ...spec, pipeline_id: pipeline.id },
    })), `addStage ${spec.name}`);
    ok(Number.isInteger(st.id) && st.id > 0, `addStage ${spec.name}: data.id must be a positive integer`, st.id);
    eq(st.name, spec.name, `addStage ${spec.name}: data.name`);
    eq(st.pipeline_id, pipeline.id, `addStage ${spec.name}: data.pipeline_id`);
    eq(st.deal_probability, spec.deal_probability, `addStage ${spec.name}: data.deal_probability`);
    if (spec.is_deal_rot_enabled) {
      eq(st.is_deal_rot_enabled, true, `addStage ${spec.name}: data.is_deal_rot_enabled`);
      eq(st.days_to_rotten, spec.days_to_rotten, `addStage ${spec.name}: data.days_to_rotten`);
    }
    eq(st.is_deleted, false, `addStage ${spec.name}: data.is_deleted`);
    createdStages.push(st);
  }
  const stageIds = createdStages.map((s) => s.id);
  eq(new Set(stageIds).size, 3, 'addStage: the 3 stage ids are distinct');
  const listedStages = dataOf(await sdk('getStages', () => stages.getStages({ pipeline_id: pipeline.id })), 'getStages');
  ok(Array.isArray(listedStages), 'getStages: data is not an array', listedStages);
  eq(listedStages.map((s) => s.id), stageIds, 'getStages(pipeline_id): the ids, in order');
  eq(listedStages.map((s) => s.name), stageSpecs.map((s) => s.name), 'getStages(pipeline_id): the names, in order');
  const orders = listedStages.map((s) => s.order_nr);
  ok(orders.every((o, i) => Number.isInteger(o) && (i === 0 || o > orders[i - 1])),
    'getStages(pipeline_id): order_nr must increase in creation order', orders);
  const [stageA, stageB, stageC] = stageIds;

  step('v2: create an organization');
  const orgName = `Acme Corp ${runTag}`;
  const org = dataOf(await sdk('addOrganization', () => organizations.addOrganization({
    AddOrganizationRequest: { name: orgName },
  })), 'addOrganization');
  ok(Number.isInteger(org.id) && org.id > 0, 'addOrganization: data.id must be a positive integer', org.id);
  eq(org.name, orgName, 'addOrganization: data.name');
  eq(org.is_deleted, false, 'addOrganization: data.is_deleted');

  step('v2: create a person in it with several emails and phones');
  const emails = [
    { value: `jane.doe+${runTag}@acme.example`, label: 'work', primary: true },
    { value: `jane+${runTag}@home.example`, label: 'home', primary: false },
    { value: `jd+${runTag}@other.example`, label: 'other', primary: false },
  ];
  const phones = [
    { value: '+1 555 0100', label: 'work', primary: false },
    { value: '+1 555 0199', label: 'mobile', primary: true },
    { value: '+44 20 7946 0000', label: 'home', primary: false },
  ];
  const personName = `Jane Doe ${runTag}`;
  const person = dataOf(await sdk('addPerson', () => persons.addPerson({
    AddPersonRequest: { name: personName, org_id: org.id, emails, phones },
  })), 'addPerson');
  ok(Number.isInteger(person.id) && person.id > 0, 'addPerson: data.id must be a positive integer', person.id);
  eq(person.name, personName, 'addPerson: data.name');
  eq(person.org_id, org.id, 'addPerson: data.org_id');
  checkEmailsOrPhones(person.emails, emails, 'addPerson: data.emails');
  checkEmailsOrPhones(person.phones, phones, 'addPerson: data.phones');
  const personBack = dataOf(await sdk('getPerson', () => persons.getPerson({ id: person.id })), 'getPerson');
  eq(personBack.id, person.id, 'getPerson: data.id');
  eq(personBack.org_id, org.id, 'getPerson: data.org_id');
  checkEmailsOrPhones(personBack.emails, emails, 'getPerson: data.emails');
  checkEmailsOrPhones(personBack.phones, phones, 'getPerson: data.phones');

  step('v2: create deals in the stages, linked to the person and the organization');
  const expected = new Map(); // deal id -> expected values
  const named = [
    { title: `Acme rollout ${runTag}`, stage_id: stageA, value: 12000, currency: 'EUR' },
    { title: `Acme support plan ${runTag}`, stage_id: stageB, value: 4500.5, currency: 'USD' },
    { title: `Acme expansion ${runTag}`, stage_id: stageC, value: 30000, currency: 'EUR' },
  ];
  const namedIds = [];
  for (const spec of named) {
    const d = dataOf(await sdk(`addDeal ${spec.title}`, () => deals.addDeal({
      AddDealRequest: { ...spec, pipeline_id: pipeline.id, person_id: person.id, org_id: org.id },
    })), `addDeal ${spec.title}`);
    ok(Number.isInteger(d.id) && d.id > 0, 'addDeal: data.id must be a positive integer', d.id);
    const exp = { ...spec, pipeline_id: pipeline.id, person_id: person.id, org_id: org.id, status: 'open' };
    dealExpectation(d, exp, `addDeal ${spec.title}: data`);
    recentV2Timestamp(d.add_time, `addDeal ${spec.title}: data.add_time`);
    eq(d.won_time, null, `addDeal ${spec.title}: data.won_time`);
    eq(d.close_time, null, `addDeal ${spec.title}: data.close_time`);
    expected.set(d.id, exp);
    namedIds.push(d.id);
  }
  const [rolloutId, supportId, expansionId] = namedIds;

  step('v2: move a deal to another stage (PATCH stage_id)');
  const moved = dataOf(await sdk('updateDeal stage_id', () => deals.updateDeal({
    id: rolloutId, UpdateDealRequest: { stage_id: stageB },
  })), 'updateDeal stage_id');
  eq(moved.id, rolloutId, 'updateDeal stage_id: data.id');
  eq(moved.stage_id, stageB, 'updateDeal stage_id: data.stage_id');
  eq(moved.pipeline_id, pipeline.id, 'updateDeal stage_id: data.pipeline_id');
  const stageChangeT = recentV2Timestamp(moved.stage_change_time, 'updateDeal stage_id: data.stage_change_time');
  ok(stageChangeT >= Date.parse(moved.add_time), 'updateDeal stage_id: stage_change_time before add_time',
    { add_time: moved.add_time, stage_change_time: moved.stage_change_time });
  eq(moved.title, named[0].title, 'updateDeal stage_id: data.title unchanged');
  const movedBack = dataOf(await sdk('getDeal (moved)', () => deals.getDeal({ id: rolloutId })), 'getDeal (moved)');
  eq(movedBack.stage_id, stageB, 'getDeal after move: data.stage_id');
  eq(movedBack.pipeline_id, pipeline.id, 'getDeal after move: data.pipeline_id');
  eq(movedBack.stage_change_time, moved.stage_change_time, 'getDeal after move: data.stage_change_time');
  expected.get(rolloutId).stage_id = stageB;
  summary.moved_deal = { id: rolloutId, from_stage: stageA, to_stage: stageB, stage_change_time: moved.stage_change_time };

  step('v2: mark a deal won');
  const won = dataOf(await sdk('updateDeal status=won', () => deals.updateDeal({
    id: expansionId, UpdateDealRequest: { status: 'won' },
  })), 'updateDeal status=won');
  eq(won.id, expansionId, 'updateDeal status=won: data.id');
  eq(won.status, 'won', 'updateDeal status=won: data.status');
  recentV2Timestamp(won.won_time, 'updateDeal status=won: data.won_time');
  recentV2Timestamp(won.close_time, 'updateDeal status=won: data.close_time');
  eq(won.lost_time, null, 'updateDeal status=won: data.lost_time');
  eq(won.stage_id, stageC, 'updateDeal status=won: data.stage_id unchanged');
  const wonBack = dataOf(await sdk('getDeal (won)', () => deals.getDeal({ id: expansionId })), 'getDeal (won)');
  eq(wonBack.status, 'won', 'getDeal after won: data.status');
  eq(wonBack.won_time, won.won_time, 'getDeal after won: data.won_time');
  eq(wonBack.close_time, won.close_time, 'getDeal after won: data.close_time');
  expected.get(expansionId).status = 'won';
  summary.won_deal = { id: expansionId, won_time: won.won_time, close_time: won.close_time };

  step(`v2: create deals until the pipeline holds ${TOTAL_DEALS}`);
  for (let i = expected.size + 1; expected.size < TOTAL_DEALS; i += 1) {
    // stage_id only: the server derives pipeline_id from the stage
    const spec = {
      title: `Bulk deal ${String(i).padStart(3, '0')} ${runTag}`,
      stage_id: stageIds[i % 3],
      value: 100 * i,
      currency: 'USD',
    };
    const d = dataOf(await sdk(`addDeal ${spec.title}`, () => deals.addDeal({
      AddDealRequest: { ...spec, person_id: person.id, org_id: org.id },
    })), `addDeal ${spec.title}`);
    ok(Number.isInteger(d.id) && d.id > 0, `addDeal ${spec.title}: data.id must be a positive integer`, d.id);
    ok(!expected.has(d.id), `addDeal ${spec.title}: id ${d.id} was already handed out`, d.id);
    const exp = { ...spec, pipeline_id: pipeline.id, person_id: person.id, org_id: org.id, status: 'open' };
    dealExpectation(d, exp, `addDeal ${spec.title}: data`);
    expected.set(d.id, exp);
  }
  const createdIds = [...expected.keys()];

  step(`v2: page through the pipeline's deals with limit ${PAGE} and the cursor`);
  const inPipeline = await pageV2Deals({ pipeline_id: pipeline.id }, 'v2 pipeline listing');
  eq(inPipeline.ids.length, TOTAL_DEALS, 'v2 pipeline listing: number of deals');
  eq(new Set(inPipeline.ids).size, TOTAL_DEALS, 'v2 pipeline listing: every id exactly once');
  eq(inPipeline.pageSizes, [PAGE, PAGE, PAGE], 'v2 pipeline listing: page sizes');
  eq([...inPipeline.ids].sort((a, b) => a - b), [...createdIds].sort((a, b) => a - b),
    'v2 pipeline listing: the ids are the created ones');
  eq(inPipeline.ids, [...inPipeline.ids].sort((a, b) => a - b), 'v2 pipeline listing: default order is id ascending');

  step(`v2: page through all deals with limit ${PAGE} and the cursor`);
  const all = await pageV2Deals({}, 'v2 full listing');
  eq(all.ids.length, preexisting + TOTAL_DEALS, 'v2 full listing: number of deals');
  eq(new Set(all.ids).size, all.ids.length, 'v2 full listing: every id exactly once');
  ok(createdIds.every((id) => all.ids.includes(id)), 'v2 full listing: a created deal is missing',
    createdIds.filter((id) => !all.ids.includes(id)));
  if (preexisting === 0) eq(all.pageSizes, [PAGE, PAGE, PAGE], 'v2 full listing: page sizes');
  summary.v2_pages = all.pageSizes;

  step('v2: the listed deals carry the values they were created with');
  // re-read one page with the pipeline filter and compare every deal on it
  const firstPage = dataOf(await sdk('getDeals pipeline page 1', () => deals.getDeals({ pipeline_id: pipeline.id, limit: PAGE })), 'getDeals');
  for (const d of firstPage) {
    ok(expected.has(d.id), `getDeals: unexpected deal ${d.id}`, d);
    dealExpectation(d, expected.get(d.id), `getDeals deal ${d.id}`);
  }

  // =================================== part 2: v1, classic SDK release
  step(`v1: page through the deals with start/limit (limit ${PAGE})`);
  const v1All = await pageV1Deals('v1 listing');
  const v1Ids = v1All.deals.map((d) => d.id);
  eq(v1Ids.length, preexisting + TOTAL_DEALS, 'v1 listing: number of deals');
  eq(new Set(v1Ids).size, v1Ids.length, 'v1 listing: every id exactly once');
  eq([...v1Ids].sort((a, b) => a - b), [...all.ids].sort((a, b) => a - b), 'v1 listing: the ids equal the v2 ones');
  summary.v1_pages = v1All.pageSizes;

  step('v1: the classic deal shape');
  const v1ById = new Map(v1All.deals.map((d) => [d.id, d]));
  for (const id of createdIds) {
    const d = v1ById.get(id);
    const exp = expected.get(id);
    eq(d.title, exp.title, `v1 deal ${id}.title`);
    eq(d.pipeline_id, exp.pipeline_id, `v1 deal ${id}.pipeline_id`);
    eq(d.stage_id, exp.stage_id, `v1 deal ${id}.stage_id`);
    eq(d.status, exp.status, `v1 deal ${id}.status`);
    eq(d.value, exp.value, `v1 deal ${id}.value`);
    eq(d.currency, exp.currency, `v1 deal ${id}.currency`);
    // v1 nests the linked person and organization: { value: id, name, ... }
    ok(d.person_id && typeof d.person_id === 'object', `v1 deal ${id}.person_id must be an object`, d.person_id);
    eq(d.person_id.value, person.id, `v1 deal ${id}.person_id.value`);
    eq(d.person_id.name, personName, `v1 deal ${id}.person_id.name`);
    ok(d.org_id && typeof d.org_id === 'object', `v1 deal ${id}.org_id must be an object`, d.org_id);
    eq(d.org_id.value, org.id, `v1 deal ${id}.org_id.value`);
    eq(d.org_id.name, orgName, `v1 deal ${id}.org_id.name`);
  }
  const v1Won = v1ById.get(expansionId);
  ok(typeof v1Won.won_time === 'string' && /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(v1Won.won_time),
    `v1 deal ${expansionId}.won_time must be "YYYY-MM-DD HH:MM:SS"`, v1Won.won_time);
  eq(Date.parse(`${v1Won.won_time.replace(' ', 'T')}Z`), Date.parse(won.won_time),
    `v1 deal ${expansionId}.won_time is the v2 won_time`);

  step('v1: update a deal with PUT (title, value) and read it back through v2');
  const newTitle = `Acme support plan, renewed ${runTag}`;
  // v1's UpdateDealRequest types `value` as a string
  const updated = await sdk('v1 updateDeal', () => classicDeals.updateDeal({
    id: supportId, UpdateDealRequest: { title: newTitle, value: '9876.5' },
  }));
  eq(updated && updated.success, true, 'v1 updateDeal: success');
  ok(updated.data && typeof updated.data === 'object', 'v1 updateDeal: body has no data', updated);
  eq(updated.data.id, supportId, 'v1 updateDeal: data.id');
  eq(updated.data.title, newTitle, 'v1 updateDeal: data.title');
  eq(updated.data.value, 9876.5, 'v1 updateDeal: data.value');
  eq(updated.data.stage_id, stageB, 'v1 updateDeal: data.stage_id unchanged');
  const updatedBack = dataOf(await sdk('v2 getDeal after v1 PUT', () => deals.getDeal({ id: supportId })), 'v2 getDeal after v1 PUT');
  eq(updatedBack.title, newTitle, 'v2 getDeal after v1 PUT: data.title');
  eq(updatedBack.value, 9876.5, 'v2 getDeal after v1 PUT: data.value');
  eq(updatedBack.currency, 'USD', 'v2 getDeal after v1 PUT: data.currency unchanged');
  eq(updatedBack.stage_id, stageB, 'v2 getDeal after v1 PUT: data.stage_id unchanged');
  eq(updatedBack.person_id, person.id, 'v2 getDeal after v1 PUT: data.person_id unchanged');
  summary.v1_updated_deal = { id: supportId, title: newTitle, value: updatedBack.value };

  step('v1: delete a deal');
  const victim = createdIds[createdIds.length - 1];
  const deleted = await sdk('v1 deleteDeal', () => classicDeals.deleteDeal({ id: victim }));
  eq(deleted && deleted.success, true, 'v1 deleteDeal: success');
  eq(deleted.data && deleted.data.id, victim, 'v1 deleteDeal: data.id');

  step('v1: the deleted deal is gone from the v1 list');
  const v1After = await pageV1Deals('v1 listing after delete');
  const v1AfterIds = v1After.deals.map((d) => d.id);
  ok(!v1AfterIds.includes(victim), `v1 listing after delete: deal ${victim} is still listed`);
  eq(v1AfterIds.length, preexisting + TOTAL_DEALS - 1, 'v1 listing after delete: number of deals');

  step('v2: GET /deals/{id} of the deleted deal');
  const afterDelete = await attempt(() => deals.getDeal({ id: victim }));
  const afterStatus = lastStatus();
  if (afterDelete.ok) {
    const d = dataOf(afterDelete.value, 'v2 getDeal of a deleted deal');
    eq(d.id, victim, 'v2 getDeal of a deleted deal: data.id');
    eq(d.is_deleted, true, 'v2 getDeal of a deleted deal: data.is_deleted');
    summary.v2_get_deleted = `HTTP ${afterStatus}, is_deleted: true`;
  } else {
    eq(afterStatus, 404, 'v2 getDeal of a deleted deal: when rejected, the HTTP status');
    const body = afterDelete.rejection;
    ok(body && typeof body === 'object' && body.success === false,
      'v2 getDeal of a deleted deal: the 404 body must be {success: false, ...}', body);
    summary.v2_get_deleted = `HTTP 404, body ${show(body)}`;
  }
  console.log(`  deleted deal ${victim} through v2: ${summary.v2_get_deleted}`);

  step('v2: the deleted deal is gone from the v2 list');
  const v2After = await pageV2Deals({ pipeline_id: pipeline.id }, 'v2 pipeline listing after delete');
  ok(!v2After.ids.includes(victim), `v2 pipeline listing after delete: deal ${victim} is still listed`);
  eq(v2After.ids.length, TOTAL_DEALS - 1, 'v2 pipeline listing after delete: number of deals');

  summary.deleted_deal = victim;
}


await run(main, summary);
