// End-to-end scenario for the data around a deal: drives a running
// `dealbase serve` with the OFFICIAL Pipedrive Node SDK, unchanged.
//
//   products   - two products (v2) attached to a deal (v2 deal products):
//                each line's sum, the deal's products_count and value
//   activities - an activity logged on the deal (v2), found by deal_id
//   notes      - a note on the deal (v1), read back in v1
//   fields     - a custom deal field created in v2, seen in the v1 field
//                list, set on the deal in v2 and read back in v2 and v1
//   leads      - a lead label and a lead carrying it (v1)
//   deletes    - each of these deleted, then answered with a 404
//
// Environment and exit codes: see support.mjs.

import { v1, v2 } from 'pipedrive';
import { v1 as classicV1 } from 'pipedrive-classic';
import {
  CLASSIC_SDK_VERSION, SDK_VERSION, V1_BASE, V2_BASE, apiToken, attempt, baseUrl, dataOf, eq, expectNotFound, instrument, lastStatus, ok, run,
  runTag, sdk, step,
} from './support.mjs';

const V2_SDK = `pipedrive@${SDK_VERSION} v2`;
const V1_SDK = `pipedrive@${SDK_VERSION} v1`;
const CLASSIC_SDK = `pipedrive@${CLASSIC_SDK_VERSION} v1`;
const v2Config = new v2.Configuration({ apiKey: apiToken, basePath: V2_BASE });
const v1Config = new v1.Configuration({ apiKey: apiToken, basePath: V1_BASE });
const classicConfig = new classicV1.Configuration({ apiKey: apiToken, basePath: V1_BASE });

const deals = instrument(new v2.DealsApi(v2Config), V2_SDK);
const products = instrument(new v2.ProductsApi(v2Config), V2_SDK);
const dealProducts = instrument(new v2.DealProductsApi(v2Config), V2_SDK);
const activities = instrument(new v2.ActivitiesApi(v2Config), V2_SDK);
const dealFields = instrument(new v2.DealFieldsApi(v2Config), V2_SDK);
const notes = instrument(new v1.NotesApi(v1Config), V1_SDK);
const dealFieldsV1 = instrument(new v1.DealFieldsApi(v1Config), V1_SDK);
const leads = instrument(new v1.LeadsApi(v1Config), V1_SDK);
const leadLabels = instrument(new v1.LeadLabelsApi(v1Config), V1_SDK);
const classicDeals = instrument(new classicV1.DealsApi(classicConfig), CLASSIC_SDK);

const summary = {};

// A deleted item: deleting it again is a 404; reading it is a 404 or shows it deleted.
async function goneAfterDelete(what, read, remove) {
  await expectNotFound(remove, `${what}: deleting it again`);
  const res = await attempt(read);
  if (res.ok) {
    const d = dataOf(res.value, `${what}: read after delete`);
    ok(d.is_deleted === true || d.active_flag === false,
      `${what}: read after delete answers 200 but the item is not marked deleted`, d);
    summary[`${what} read after delete`] = `HTTP ${lastStatus()}, marked deleted`;
  } else {
    eq(lastStatus(), 404, `${what}: read after delete: HTTP status`);
    summary[`${what} read after delete`] = 'HTTP 404';
  }
}

async function main() {
  console.log(`dealbase e2e CRM scenario against ${baseUrl}`);

  step('v2: a deal in EUR to work on');
  const deal = dataOf(await sdk('addDeal', () => deals.addDeal({
    AddDealRequest: { title: `Products deal ${runTag}`, currency: 'EUR' },
  })), 'addDeal');
  eq(deal.value, 0, 'addDeal: data.value');

  // ------------------------------------------------------------ products
  step('v2: two products with prices in two currencies');
  const productSpecs = [
    { name: `Widget ${runTag}`, code: `W-${runTag}`, prices: [{ price: 100, currency: 'EUR' }, { price: 110, currency: 'USD' }] },
    { name: `Gadget ${runTag}`, code: `G-${runTag}`, prices: [{ price: 50, currency: 'EUR' }] },
  ];
  const made = [];
  for (const spec of productSpecs) {
    const p = dataOf(await sdk(`addProduct ${spec.name}`, () => products.addProduct({ AddProductRequest: spec })),
      `addProduct ${spec.name}`);
    ok(Number.isInteger(p.id) && p.id > 0, 'addProduct: data.id must be a positive integer', p.id);
    eq(p.name, spec.name, 'addProduct: data.name');
    eq(p.code, spec.code, 'addProduct: data.code');
    eq((p.prices || []).map((x) => [x.currency, x.price]).sort(), spec.prices.map((x) => [x.currency, x.price]).sort(),
      'addProduct: data.prices (currency, price)');
    made.push(p);
  }

  step('v2: attach both products to the deal');
  const lines = [
    { product_id: made[0].id, item_price: 100, quantity: 2, discount: 10, discount_type: 'percentage', tax: 0 },
    { product_id: made[1].id, item_price: 50, quantity: 3, tax: 0 },
  ];
  const expectedSums = [180, 150];
  const attached = [];
  for (const [i, line] of lines.entries()) {
    const dp = dataOf(await sdk(`addDealProduct ${i}`, () => dealProducts.addDealProduct({
      id: deal.id, AddDealProductRequest: line,
    })), `addDealProduct ${i}`);
    eq(dp.product_id, line.product_id, `addDealProduct ${i}: data.product_id`);
    eq(dp.quantity, line.quantity, `addDealProduct ${i}: data.quantity`);
    eq(dp.item_price, line.item_price, `addDealProduct ${i}: data.item_price`);
    eq(dp.sum, expectedSums[i], `addDealProduct ${i}: data.sum`);
    attached.push(dp);
  }
  const listed = dataOf(await sdk('getDealProducts', () => dealProducts.getDealProducts({ id: deal.id })),
    'getDealProducts');
  eq(listed.map((x) => x.id).sort(), attached.map((x) => x.id).sort(), 'getDealProducts: the attachments');
  eq(listed.map((x) => x.sum).sort(), [...expectedSums].sort(), 'getDealProducts: the sums');
  const withProducts = dataOf(await sdk('getDeal include_fields=products_count', () => deals.getDeal({
    id: deal.id, include_fields: 'products_count',
  })), 'getDeal (products)');
  eq(withProducts.products_count, 2, 'getDeal: data.products_count');
  eq(withProducts.value, 330, 'getDeal: data.value is the sum of its products');
  summary.deal_products = { sums: listed.map((x) => x.sum), deal_value: withProducts.value };

  // ---------------------------------------------------------- activities
  step('v2: log an activity on the deal and find it by deal_id');
  const activity = dataOf(await sdk('addActivity', () => activities.addActivity({
    AddActivityRequest: { subject: `Call about ${runTag}`, type: 'call', deal_id: deal.id, due_date: '2030-01-15' },
  })), 'addActivity');
  eq(activity.deal_id, deal.id, 'addActivity: data.deal_id');
  eq(activity.type, 'call', 'addActivity: data.type');
  eq(activity.done, false, 'addActivity: data.done');
  const found = dataOf(await sdk('getActivities deal_id', () => activities.getActivities({ deal_id: deal.id })),
    'getActivities');
  eq(found.map((a) => a.id), [activity.id], 'getActivities(deal_id): the deal\'s activities');
  eq(found[0].subject, `Call about ${runTag}`, 'getActivities(deal_id): subject');
  const withActivity = dataOf(await sdk('getDeal include_fields=activities', () => deals.getDeal({
    id: deal.id, include_fields: 'activities_count,undone_activities_count,next_activity_id',
  })), 'getDeal (activities)');
  eq(withActivity.activities_count, 1, 'getDeal: data.activities_count');
  eq(withActivity.undone_activities_count, 1, 'getDeal: data.undone_activities_count');
  eq(withActivity.next_activity_id, activity.id, 'getDeal: data.next_activity_id');

  // --------------------------------------------------------------- notes
  step('v1: add a note to the deal and read it back');
  const content = `<p>Met the <b>buyer</b> (${runTag})</p>`;
  const note = dataOf(await sdk('addNote', () => notes.addNote({ AddNoteRequest: { content, deal_id: deal.id } })),
    'addNote');
  eq(note.content, content, 'addNote: data.content');
  eq(note.deal_id, deal.id, 'addNote: data.deal_id');
  const noteBack = dataOf(await sdk('getNote', () => notes.getNote({ id: note.id })), 'getNote');
  eq(noteBack.content, content, 'getNote: data.content');
  eq(noteBack.deal_id, deal.id, 'getNote: data.deal_id');

  // -------------------------------------------------------- custom field
  step('v2: create a custom deal field; v1 lists it');
  const fieldName = `Region ${runTag}`;
  const field = dataOf(await sdk('addDealField', () => dealFields.addDealField({
    AddDealFieldRequest: { field_name: fieldName, field_type: 'varchar' },
  })), 'addDealField');
  eq(field.field_name, fieldName, 'addDealField: data.field_name');
  ok(typeof field.field_code === 'string' && field.field_code.length === 40,
    'addDealField: data.field_code is a 40-character key', field.field_code);
  const v1Fields = await sdk('v1 getDealFields', () => dealFieldsV1.getDealFields({ start: 0, limit: 500 }));
  const v1Field = (v1Fields.data || []).find((f) => f.key === field.field_code);
  ok(v1Field, `v1 getDealFields: no field with key ${field.field_code}`, (v1Fields.data || []).map((f) => f.key));
  eq(v1Field.name, fieldName, 'v1 getDealFields: name');
  eq(v1Field.field_type, 'varchar', 'v1 getDealFields: field_type');

  step('v2: set the field on the deal; read it back in v2 and v1');
  const updated = dataOf(await sdk('updateDeal custom_fields', () => deals.updateDeal({
    id: deal.id, UpdateDealRequest: { custom_fields: { [field.field_code]: 'EMEA' } },
  })), 'updateDeal custom_fields');
  eq(updated.custom_fields[field.field_code], 'EMEA', 'updateDeal: data.custom_fields[code]');
  const v2Back = dataOf(await sdk('getDeal', () => deals.getDeal({ id: deal.id })), 'getDeal');
  eq(v2Back.custom_fields[field.field_code], 'EMEA', 'getDeal: data.custom_fields[code]');
  const v1Back = dataOf(await sdk('classic v1 getDeal', () => classicDeals.getDeal({ id: deal.id })), 'v1 getDeal');
  eq(v1Back[field.field_code], 'EMEA', 'v1 getDeal: data[code]');
  summary.custom_field = field.field_code;

  // --------------------------------------------------------------- leads
  step('v1: a lead label and a lead with it');
  const label = dataOf(await sdk('addLeadLabel', () => leadLabels.addLeadLabel({
    AddLeadLabelRequest: { name: `Hot ${runTag}`, color: 'red' },
  })), 'addLeadLabel');
  eq(label.name, `Hot ${runTag}`, 'addLeadLabel: data.name');
  eq(label.color, 'red', 'addLeadLabel: data.color');
  const person = dataOf(await sdk('v2 addPerson', () => new v2.PersonsApi(v2Config).addPerson({
    AddPersonRequest: { name: `Lead person ${runTag}` },
  })), 'addPerson');
  const lead = dataOf(await sdk('addLead', () => leads.addLead({
    AddLeadRequest: { title: `Lead ${runTag}`, person_id: person.id, label_ids: [label.id] },
  })), 'addLead');
  ok(/^[0-9a-f-]{36}$/.test(lead.id), 'addLead: data.id is a UUID', lead.id);
  eq(lead.title, `Lead ${runTag}`, 'addLead: data.title');
  eq(lead.label_ids, [label.id], 'addLead: data.label_ids');
  eq(lead.person_id, person.id, 'addLead: data.person_id');
  const leadBack = dataOf(await sdk('getLead', () => leads.getLead({ id: lead.id })), 'getLead');
  eq(leadBack.label_ids, [label.id], 'getLead: data.label_ids');

  // ------------------------------------------------------------- deletes
  step('delete each of them; a 404 afterwards');
  const dpDeleted = dataOf(await sdk('deleteDealProduct', () => dealProducts.deleteDealProduct({
    id: deal.id, product_attachment_id: attached[0].id,
  })), 'deleteDealProduct');
  eq(dpDeleted.id, attached[0].id, 'deleteDealProduct: data.id');
  await expectNotFound(() => dealProducts.deleteDealProduct({ id: deal.id, product_attachment_id: attached[0].id }),
    'deleteDealProduct again');
  for (const p of made) {
    dataOf(await sdk(`deleteProduct ${p.id}`, () => products.deleteProduct({ id: p.id })), 'deleteProduct');
    await goneAfterDelete(`product ${p.name}`, () => products.getProduct({ id: p.id }),
      () => products.deleteProduct({ id: p.id }));
  }
  dataOf(await sdk('deleteActivity', () => activities.deleteActivity({ id: activity.id })), 'deleteActivity');
  await goneAfterDelete('activity', () => activities.getActivity({ id: activity.id }),
    () => activities.deleteActivity({ id: activity.id }));
  dataOf(await sdk('deleteNote', () => notes.deleteNote({ id: note.id })), 'deleteNote');
  await goneAfterDelete('note', () => notes.getNote({ id: note.id }), () => notes.deleteNote({ id: note.id }));
  dataOf(await sdk('deleteDealField', () => dealFields.deleteDealField({ field_code: field.field_code })),
    'deleteDealField');
  await expectNotFound(() => dealFields.getDealField({ field_code: field.field_code }), 'getDealField after delete');
  dataOf(await sdk('deleteLead', () => leads.deleteLead({ id: lead.id })), 'deleteLead');
  await expectNotFound(() => leads.getLead({ id: lead.id }), 'getLead after delete');
  await expectNotFound(() => leads.deleteLead({ id: lead.id }), 'deleteLead again');
  dataOf(await sdk('deleteLeadLabel', () => leadLabels.deleteLeadLabel({ id: label.id })), 'deleteLeadLabel');
  await expectNotFound(() => leadLabels.deleteLeadLabel({ id: label.id }), 'deleteLeadLabel again');

  step('the deal after its activity and a product were deleted');
  const after = dataOf(await sdk('getDeal after deletes', () => deals.getDeal({
    id: deal.id, include_fields: 'products_count,activities_count',
  })), 'getDeal after deletes');
  eq(after.activities_count, 0, 'getDeal after deletes: data.activities_count');
  eq(after.products_count, 1, 'getDeal after deletes: data.products_count');
}

await run(main, summary);
