// End-to-end scenario for messaging channels and meetings' user provider links: drives a
// running `dealbase serve` with the OFFICIAL Pipedrive Node SDK (v1), unchanged, as a
// Messaging app extension and a video call integration would.
//
//   a channel registered under the integration's id (ChannelsApi)
//   two messages of one conversation received, the second one's sender another; the first
//   delivered again as read (the same message, its new status)
//   the conversation deleted (a second delete: 404), then the channel
//   a user provider link saved and deleted (MeetingsApi)
//
// Environment and exit codes: see support.mjs.

import { v1 } from 'pipedrive';
import { SDK_VERSION, V1_BASE, apiToken, baseUrl, dataOf, eq, expectNotFound, instrument, ok, run, runTag, sdk, step } from './support.mjs';

const V1_SDK = `pipedrive@${SDK_VERSION} v1`;
const v1Config = new v1.Configuration({ apiKey: apiToken, basePath: V1_BASE });

const channels = instrument(new v1.ChannelsApi(v1Config), V1_SDK);
const meetings = instrument(new v1.MeetingsApi(v1Config), V1_SDK);
const users = instrument(new v1.UsersApi(v1Config), V1_SDK);

const summary = {};

function message(id, fields) {
  return {
    id,
    channel_id: `chan-${runTag}`,
    sender_id: 'customer-1',
    conversation_id: `conv-${runTag}`,
    message: `Hello ${id}`,
    status: 'sent',
    created_at: '2026-03-01 07:58',
    attachments: [],
    ...fields,
  };
}

async function main() {
  console.log(`dealbase e2e channels scenario against ${baseUrl}`);
  const me = dataOf(await sdk('getCurrentUser', () => users.getCurrentUser()), 'getCurrentUser');

  step('a channel registered');
  const channel = dataOf(await sdk('addChannel', () => channels.addChannel({
    AddChannelRequest: { name: `Shop ${runTag}`, provider_channel_id: `chan-${runTag}`, provider_type: 'whatsapp' },
  })), 'addChannel');
  ok(/^[0-9a-f-]{36}$/.test(channel.id), 'addChannel: an id of its own', channel);
  eq(channel.provider_channel_id, `chan-${runTag}`, 'addChannel: provider_channel_id');
  eq(channel.provider_type, 'whatsapp', 'addChannel: provider_type');
  eq(channel.pd_user_id, me.id, 'addChannel: pd_user_id');
  eq(channel.pd_company_id, me.company_id, 'addChannel: pd_company_id');

  step('two messages of one conversation');
  const first = dataOf(await sdk('receiveMessage 1', () => channels.receiveMessage({
    ReceiveMessageRequest: message('m-1', { conversation_link: `https://chat.test/${runTag}` }),
  })), 'receiveMessage 1');
  eq(first.created_at, '2026-03-01T07:58:00.000Z', 'receiveMessage 1: created_at in UTC');
  const second = dataOf(await sdk('receiveMessage 2', () => channels.receiveMessage({
    ReceiveMessageRequest: message('m-2', { sender_id: 'agent-1', created_at: '2026-03-01T08:01:00Z' }),
  })), 'receiveMessage 2');
  eq(second.conversation_id, first.conversation_id, 'receiveMessage 2: the same conversation');
  eq(second.conversation_link, `https://chat.test/${runTag}`, 'receiveMessage 2: the conversation\'s link');
  eq(second.sender_id, 'agent-1', 'receiveMessage 2: sender_id');
  const read = dataOf(await sdk('receiveMessage 1 again', () => channels.receiveMessage({
    ReceiveMessageRequest: message('m-1', { status: 'read' }),
  })), 'receiveMessage 1 again');
  eq(read.status, 'read', 'receiveMessage 1 again: the new status');

  step('the conversation deleted, then the channel');
  const gone = await sdk('deleteConversation', () => channels.deleteConversation({
    channel_id: `chan-${runTag}`, conversation_id: `conv-${runTag}`,
  }));
  eq(gone.success, true, 'deleteConversation: success');
  await expectNotFound(() => channels.deleteConversation({
    channel_id: `chan-${runTag}`, conversation_id: `conv-${runTag}`,
  }), 'deleteConversation again');
  const deleted = await sdk('deleteChannel', () => channels.deleteChannel({ id: channel.id }));
  eq(deleted.success, true, 'deleteChannel: success');
  await expectNotFound(() => channels.deleteChannel({ id: channel.id }), 'deleteChannel again');

  step('a user provider link saved and deleted');
  const link = '1e3943c9-6395-462b-b432-' + runTag.padStart(12, '0');
  const saved = dataOf(await sdk('saveUserProviderLink', () => meetings.saveUserProviderLink({
    AddUserProviderLinkRequest: { user_provider_id: link, user_id: me.id, company_id: me.company_id, marketplace_client_id: 'e2e-client' },
  })), 'saveUserProviderLink');
  eq(saved.message, 'The user was added successfully', 'saveUserProviderLink: message');
  const removed = dataOf(await sdk('deleteUserProviderLink', () => meetings.deleteUserProviderLink({ id: link })), 'deleteUserProviderLink');
  eq(removed.message, 'The user data was successfully removed', 'deleteUserProviderLink: message');
  await expectNotFound(() => meetings.deleteUserProviderLink({ id: link }), 'deleteUserProviderLink again');

  Object.assign(summary, { channel: channel.id, conversation: first.conversation_id, link });
}

await run(main, summary);
