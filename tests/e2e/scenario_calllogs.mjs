// End-to-end scenario for call logs: drives a running `dealbase serve` with the OFFICIAL
// Pipedrive Node SDK (v1), unchanged.
//
//   a person and a deal (v2); a call log on them (CallLogsApi.addCallLog), read back and listed
//   an audio recording attached (addCallLogAudioFile): has_recording; a second one is a 409
//   the recording is the call activity's file: FilesApi.downloadFile gives back the same bytes
//   the call log deleted: its recording goes, its activity stays
//
// Environment and exit codes: see support.mjs.

import { v1, v2 } from 'pipedrive';
import { v1 as classicV1 } from 'pipedrive-classic';
import {
  CLASSIC_SDK_VERSION, SDK_VERSION, V1_BASE, V2_BASE, apiToken, attempt, baseUrl, dataOf, eq, expectNotFound, instrument, lastStatus, ok, run,
  runTag, sdk, step,
} from './support.mjs';

const V1_SDK = `pipedrive@${SDK_VERSION} v1`;
const V2_SDK = `pipedrive@${SDK_VERSION} v2`;
const v1Config = new v1.Configuration({ apiKey: apiToken, basePath: V1_BASE });
const v2Config = new v2.Configuration({ apiKey: apiToken, basePath: V2_BASE });

const callLogs = instrument(new v1.CallLogsApi(v1Config), V1_SDK);
const files = instrument(new v1.FilesApi(v1Config), V1_SDK);
// The v1 activity (with its `file`) is in the classic release's v1 API.
const classicConfig = new classicV1.Configuration({ apiKey: apiToken, basePath: V1_BASE });
const activities = instrument(new classicV1.ActivitiesApi(classicConfig), `pipedrive@${CLASSIC_SDK_VERSION} v1`);
const persons = instrument(new v2.PersonsApi(v2Config), V2_SDK);
const deals = instrument(new v2.DealsApi(v2Config), V2_SDK);

// A few kilobytes every byte value appears in, so a text decoding on the way would show.
const AUDIO = Buffer.concat([Buffer.from('ID3\x03\x00', 'latin1'), ...Array.from({ length: 32 }, () => Buffer.from([...Array(256).keys()]))]);

const summary = {};

async function main() {
  console.log(`dealbase e2e call logs scenario against ${baseUrl}`);

  step('a call log on a person and a deal');
  const person = dataOf(await sdk('addPerson', () => persons.addPerson({ AddPersonRequest: { name: `Caller ${runTag}` } })), 'addPerson');
  const deal = dataOf(await sdk('addDeal', () => deals.addDeal({
    AddDealRequest: { title: `Call deal ${runTag}`, person_id: person.id },
  })), 'addDeal');
  const log = dataOf(await sdk('addCallLog', () => callLogs.addCallLog({
    AddCallLogRequest: {
      subject: `Intro ${runTag}`,
      outcome: 'connected',
      to_phone_number: '+3725550100',
      from_phone_number: '+3725550199',
      start_time: '2026-03-02 10:00:00',
      end_time: '2026-03-02 10:01:30',
      person_id: person.id,
      deal_id: deal.id,
      note: 'Went well',
    },
  })), 'addCallLog');
  ok(/^[0-9a-f]{32}$/.test(log.id), 'addCallLog: a string id', log);
  eq(log.duration, '90', 'addCallLog: duration from the times');
  eq(log.has_recording, false, 'addCallLog: no recording yet');
  eq(log.start_time, '2026-03-02T10:00:00.000Z', 'addCallLog: start_time');
  const read = dataOf(await sdk('getCallLog', () => callLogs.getCallLog({ id: log.id })), 'getCallLog');
  eq(read.deal_id, deal.id, 'getCallLog: deal_id');
  const listed = await sdk('getUserCallLogs', () => callLogs.getUserCallLogs({ limit: 50 }));
  ok(listed.data.some((item) => item.id === log.id), 'getUserCallLogs: the call log is listed', listed);
  const activity = dataOf(await sdk('getActivity', () => activities.getActivity({ id: log.activity_id })), 'getActivity');
  eq(activity.type, 'call', 'the call log\'s activity: type');
  eq(activity.done, true, 'the call log\'s activity: done');

  step('a recording attached, once');
  const recording = new File([AUDIO], 'intro.mp3', { type: 'audio/mpeg' });
  const attached = await sdk('addCallLogAudioFile', () => callLogs.addCallLogAudioFile({ id: log.id, file: recording }));
  eq(attached.success, true, 'addCallLogAudioFile: success');
  const again = await attempt(() => callLogs.addCallLogAudioFile({ id: log.id, file: new File([Buffer.from('x')], 'again.mp3') }));
  ok(!again.ok, 'a second recording: refused', again.value);
  eq(lastStatus(), 409, 'a second recording: HTTP status');
  const withRecording = dataOf(await sdk('getCallLog after upload', () => callLogs.getCallLog({ id: log.id })), 'getCallLog');
  eq(withRecording.has_recording, true, 'getCallLog: has_recording');

  step('the recording downloaded: the same bytes');
  const shown = dataOf(await sdk('getActivity after upload', () => activities.getActivity({ id: log.activity_id })), 'getActivity');
  ok(shown.file && shown.file.id, 'the activity shows its file', shown.file);
  const file = dataOf(await sdk('getFile', () => files.getFile({ id: shown.file.id })), 'getFile');
  eq(file.file_size, AUDIO.length, 'getFile: file_size');
  eq(file.activity_id, log.activity_id, 'getFile: activity_id');
  const downloaded = await sdk('downloadFile', () => files.downloadFile({ id: shown.file.id }));
  const bytes = Buffer.from(downloaded);
  eq(bytes.length, AUDIO.length, 'downloadFile: length');
  ok(bytes.equals(AUDIO), 'downloadFile: the bytes uploaded', bytes.subarray(0, 16));

  step('the call log deleted: its recording goes, its activity stays');
  const deleted = await sdk('deleteCallLog', () => callLogs.deleteCallLog({ id: log.id }));
  eq(deleted.success, true, 'deleteCallLog: success');
  await expectNotFound(() => callLogs.getCallLog({ id: log.id }), 'getCallLog after deleteCallLog');
  // a download's error body comes back as bytes (the call asks for an array buffer): the status says it
  const gone = await attempt(() => files.downloadFile({ id: shown.file.id }));
  ok(!gone.ok, 'downloadFile after deleteCallLog: refused', gone.value);
  eq(lastStatus(), 404, 'downloadFile after deleteCallLog: HTTP status');
  const kept = dataOf(await sdk('getActivity after delete', () => activities.getActivity({ id: log.activity_id })), 'getActivity');
  eq(kept.active_flag, true, 'the activity stays');

  Object.assign(summary, { call_log: log.id, activity: log.activity_id, recording: shown.file.id, bytes: AUDIO.length });
}

await run(main, summary);
