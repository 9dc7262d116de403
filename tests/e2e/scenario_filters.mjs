// End-to-end scenario for saved filters: drives a running `dealbase serve` with the
// OFFICIAL Pipedrive Node SDK, unchanged.
//
//   a pipeline with two stages (v2) and three deals in them (v2)
//   a filter "stage = the first stage" made in v1 (FiltersApi.addFilter), the stage
//   field's id taken from the v1 deal fields
//   the v2 deal list with filter_id: exactly the deals in that stage, whatever the quick
//   filters say; the filter read back, its helpers, and its deletion (then a 404)
//
// Environment and exit codes: see support.mjs.

import { v1, v2 } from 'pipedrive';
import { SDK_VERSION, V1_BASE, V2_BASE, apiToken, baseUrl, dataOf, eq, expectNotFound, instrument, ok, run, runTag, sdk, step } from './support.mjs';

const V2_SDK = `pipedrive@${SDK_VERSION} v2`;
const V1_SDK = `pipedrive@${SDK_VERSION} v1`;
const v2Config = new v2.Configuration({ apiKey: apiToken, basePath: V2_BASE });
const v1Config = new v1.Configuration({ apiKey: apiToken, basePath: V1_BASE });

const pipelines = instrument(new v2.PipelinesApi(v2Config), V2_SDK);
const stages = instrument(new v2.StagesApi(v2Config), V2_SDK);
const deals = instrument(new v2.DealsApi(v2Config), V2_SDK);
const dealFields = instrument(new v1.DealFieldsApi(v1Config), V1_SDK);
const filters = instrument(new v1.FiltersApi(v1Config), V1_SDK);

const summary = {};

async function main() {
  console.log(`dealbase e2e filters scenario against ${baseUrl}`);

  step('v2: a pipeline, two stages, three deals');
  const pipeline = dataOf(await sdk('addPipeline', () => pipelines.addPipeline({
    AddPipelineRequest: { name: `Filters ${runTag}` },
  })), 'addPipeline');
  const made = [];
  for (const name of ['Lead in', 'Won over']) {
    made.push(dataOf(await sdk(`addStage ${name}`, () => stages.addStage({
      AddStageRequest: { name, pipeline_id: pipeline.id },
    })), `addStage ${name}`));
  }
  const inFirst = [];
  for (const [title, stage] of [['A', made[0]], ['B', made[1]], ['C', made[0]]]) {
    const deal = dataOf(await sdk(`addDeal ${title}`, () => deals.addDeal({
      AddDealRequest: { title: `${title} ${runTag}`, stage_id: stage.id },
    })), `addDeal ${title}`);
    eq(deal.stage_id, stage.id, `addDeal ${title}: data.stage_id`);
    if (stage === made[0]) inFirst.push(deal.id);
  }

  step('v1: the stage field, then a filter "stage is the first stage"');
  const fields = dataOf(await sdk('getDealFields', () => dealFields.getDealFields({ limit: 500 })), 'getDealFields');
  const stageField = fields.find((f) => f.key === 'stage_id');
  ok(stageField && Number.isInteger(stageField.id), 'getDealFields: a stage_id field with an id', stageField);
  const conditions = {
    glue: 'and',
    conditions: [
      { glue: 'and', conditions: [{ object: 'deal', field_id: String(stageField.id), operator: '=', value: String(made[0].id), extra_value: null }] },
      { glue: 'or', conditions: [] },
    ],
  };
  const filter = dataOf(await sdk('addFilter', () => filters.addFilter({
    AddFilterRequest: { name: `First stage ${runTag}`, type: 'deals', conditions },
  })), 'addFilter');
  ok(Number.isInteger(filter.id) && filter.id > 0, 'addFilter: data.id must be a positive integer', filter.id);
  eq(filter.type, 'deals', 'addFilter: data.type');
  eq(filter.active_flag, true, 'addFilter: data.active_flag');
  const back = dataOf(await sdk('getFilter', () => filters.getFilter({ id: filter.id })), 'getFilter');
  eq(back.conditions.conditions[0].conditions[0].value, String(made[0].id), 'getFilter: the condition value');
  const listed = dataOf(await sdk('getFilters', () => filters.getFilters({ type: 'deals' })), 'getFilters');
  ok(listed.some((f) => f.id === filter.id), 'getFilters: lists the new filter', listed.map((f) => f.id));
  const helpers = dataOf(await sdk('getFilterHelpers', () => filters.getFilterHelpers()), 'getFilterHelpers');
  ok(helpers.operators && helpers.operators.stage && helpers.operators.stage['='], 'getFilterHelpers: stage operators', helpers.operators);

  step('v2: deals with filter_id are exactly those in the first stage');
  const page = dataOf(await sdk('getDeals filter_id', () => deals.getDeals({ filter_id: filter.id, limit: 500 })), 'getDeals filter_id');
  eq(page.map((d) => d.id).sort((a, b) => a - b), inFirst.sort((a, b) => a - b), 'getDeals filter_id: the deal ids');
  const overriding = dataOf(await sdk('getDeals filter_id + stage_id', () => deals.getDeals({
    filter_id: filter.id, stage_id: made[1].id, limit: 500,
  })), 'getDeals filter_id + stage_id');
  eq(overriding.map((d) => d.id).sort((a, b) => a - b), inFirst.sort((a, b) => a - b), 'getDeals: filter_id overrides stage_id');
  summary.filtered_deals = page.length;

  step('v1: delete the filter; a 404 afterwards');
  const gone = dataOf(await sdk('deleteFilter', () => filters.deleteFilter({ id: filter.id })), 'deleteFilter');
  eq(gone.id, filter.id, 'deleteFilter: data.id');
  await expectNotFound(() => filters.getFilter({ id: filter.id }), 'getFilter after delete');
  await expectNotFound(() => deals.getDeals({ filter_id: filter.id }), 'getDeals with a deleted filter');
}

await run(main, summary);
