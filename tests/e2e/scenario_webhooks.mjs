// End-to-end scenario for webhooks: drives a running `dealbase serve` (started with
// DEALBASE_WEBHOOKS_ALLOW_PRIVATE=1) with the OFFICIAL Pipedrive Node SDK, unchanged.
//
//   a listener on 127.0.0.1; the SDK registers a v2 webhook (Basic auth) and a v1 one
//   for deal changes; a deal is made, then updated through the SDK
//   within 2 s the listener receives the v2 payload (meta, data, previous: only the
//   changed fields) with the Basic auth header, and the v1 payload (current, previous)
//   the webhooks are listed and deleted through the SDK
//
// Environment and exit codes: see support.mjs.

import { v1, v2 } from 'pipedrive';
import {
  V1_BASE, V1_SDK, V2_BASE, V2_SDK, apiToken, baseUrl, dataOf, eq, instrument, listen, ok, run, runTag, sdk, step,
} from './support.mjs';

const v1Config = new v1.Configuration({ apiKey: apiToken, basePath: V1_BASE });
const v2Config = new v2.Configuration({ apiKey: apiToken, basePath: V2_BASE });

const webhooks = instrument(new v1.WebhooksApi(v1Config), V1_SDK);
const deals = instrument(new v2.DealsApi(v2Config), V2_SDK);

const summary = {};
const received = []; // { path, headers, body, at }
let arrived = () => {};

// The requests to `path`, once `count` of them arrived; fails after `ms`.
function waitFor(path, count, ms) {
  return new Promise((resolve) => {
    const deadline = setTimeout(() => resolve(null), ms);
    const check = () => {
      const got = received.filter((r) => r.path === path);
      if (got.length >= count) {
        clearTimeout(deadline);
        resolve(got);
      }
    };
    const previous = arrived;
    arrived = () => { previous(); check(); };
    check();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  console.log(`dealbase e2e webhooks scenario against ${baseUrl}`);
  const server = await listen((request) => {
    received.push(request);
    arrived();
  });
  const listener = `http://127.0.0.1:${server.address().port}`;
  try {
    step('v1: register a v2 webhook with Basic auth and a v1 webhook, both for deal changes');
    const hook2 = dataOf(await sdk('addWebhook v2', () => webhooks.addWebhook({
      AddWebhookRequest: {
        subscription_url: `${listener}/v2`, event_action: 'change', event_object: 'deal',
        name: `deal changes ${runTag}`, version: '2.0', http_auth_user: 'hookuser', http_auth_password: 's3cret',
      },
    })), 'addWebhook v2');
    eq([hook2.version, hook2.event_action, hook2.event_object, hook2.is_active], ['2.0', 'change', 'deal', 1], 'addWebhook v2: fields');
    eq(hook2.http_auth_user, 'hookuser', 'addWebhook v2: http_auth_user');
    const hook1 = dataOf(await sdk('addWebhook v1', () => webhooks.addWebhook({
      AddWebhookRequest: {
        subscription_url: `${listener}/v1`, event_action: 'change', event_object: 'deal',
        name: `deal changes v1 ${runTag}`, version: '1.0',
      },
    })), 'addWebhook v1');
    eq(hook1.version, '1.0', 'addWebhook v1: version');

    step('v2: make a deal, then update it');
    const deal = dataOf(await sdk('addDeal', () => deals.addDeal({
      AddDealRequest: { title: `Hooked ${runTag}`, value: 100, currency: 'EUR' },
    })), 'addDeal');
    const updatedAt = Date.now();
    const updated = dataOf(await sdk('updateDeal', () => deals.updateDeal({
      id: deal.id, UpdateDealRequest: { title: `Hooked again ${runTag}`, value: 250 },
    })), 'updateDeal');

    step('the listener receives the v2 payload within 2 s, with Basic auth');
    const got2 = await waitFor('/v2', 1, 2000);
    ok(got2, 'no v2 webhook request within 2 s of the update', received.map((r) => r.path));
    const r2 = got2[0];
    summary.v2_latency_ms = r2.at - updatedAt;
    eq(r2.headers.authorization, `Basic ${Buffer.from('hookuser:s3cret').toString('base64')}`, 'v2: Authorization header');
    ok(String(r2.headers['content-type']).startsWith('application/json'), 'v2: content-type', r2.headers['content-type']);
    const meta = r2.body.meta;
    eq([meta.action, meta.entity, meta.entity_id, meta.version], ['change', 'deal', String(deal.id), '2.0'], 'v2: meta action/entity/id/version');
    eq([meta.webhook_id, meta.attempt, meta.type, meta.change_source], [String(hook2.id), 1, 'general', 'api'], 'v2: meta webhook_id/attempt/type/change_source');
    ok(typeof meta.id === 'string' && meta.id.length === 36, 'v2: meta.id is a UUID', meta.id);
    ok(Array.isArray(meta.permitted_user_ids) && meta.permitted_user_ids.includes(meta.user_id), 'v2: permitted_user_ids has the user', meta);
    eq([r2.body.data.id, r2.body.data.title, r2.body.data.value, r2.body.data.currency], [deal.id, updated.title, 250, 'EUR'], 'v2: data');
    eq(r2.body.data.update_time, updated.update_time, 'v2: data.update_time is the updated deal\'s');
    eq(r2.body.previous, { title: `Hooked ${runTag}`, value: 100 }, 'v2: previous holds only the changed fields');

    step('the listener receives the v1 payload within 2 s, without auth');
    const got1 = await waitFor('/v1', 1, 2000);
    ok(got1, 'no v1 webhook request within 2 s of the update', received.map((r) => r.path));
    const r1 = got1[0];
    summary.v1_latency_ms = r1.at - updatedAt;
    eq(r1.headers.authorization, undefined, 'v1: no Authorization header');
    eq([r1.body.event, r1.body.v, r1.body.retry], ['updated.deal', 1, 0], 'v1: event, v, retry');
    eq([r1.body.meta.action, r1.body.meta.object, r1.body.meta.id, r1.body.meta.webhook_id], ['updated', 'deal', deal.id, hook1.id], 'v1: meta');
    eq([r1.body.current.id, r1.body.current.title, r1.body.current.value], [deal.id, updated.title, 250], 'v1: current');
    eq([r1.body.previous.title, r1.body.previous.value], [`Hooked ${runTag}`, 100], 'v1: previous');

    step('the create was no change: nothing else arrived');
    await sleep(300);
    eq(received.map((r) => r.path).sort(), ['/v1', '/v2'], 'requests received');

    step('v1: list and delete the webhooks');
    const listed = dataOf(await sdk('getWebhooks', () => webhooks.getWebhooks()), 'getWebhooks');
    const ids = listed.map((w) => w.id);
    ok(ids.includes(hook1.id) && ids.includes(hook2.id), 'getWebhooks: both webhooks listed', ids);
    for (const hook of [hook1, hook2]) {
      const gone = await sdk('deleteWebhook', () => webhooks.deleteWebhook({ id: hook.id }));
      eq(gone.success, true, 'deleteWebhook: success');
    }
    const after = (await sdk('getWebhooks after', () => webhooks.getWebhooks())).data || [];
    ok(!after.some((w) => w.id === hook1.id || w.id === hook2.id), 'getWebhooks: deleted webhooks are gone', after);
  } finally {
    server.close();
  }
}

run(main, summary);
