// End-to-end scenario for project templates and billing add-ons: drives a running
// `dealbase serve` with the OFFICIAL Pipedrive Node SDK (v1 and v2), unchanged.
//
//   the templates the company starts with, listed (v2, v1) and read one by one
//   a project from a template (v2 addProject with template_id): the template's board,
//   its first phase, the template's tasks (v2 getTasks) each in its phase of the
//   project's plan (v1 getProjectPlan)
//   the same through v1 addProject, its tasks read with v1 getProjectTasks
//   the company's add-ons (v1 BillingApi), each with a code
//
// Environment and exit codes: see support.mjs.

import { v1, v2 } from 'pipedrive';
import { SDK_VERSION, V1_BASE, V2_BASE, apiToken, baseUrl, dataOf, eq, expectNotFound, instrument, ok, run, runTag, sdk, step } from './support.mjs';

const V1_SDK = `pipedrive@${SDK_VERSION} v1`;
const V2_SDK = `pipedrive@${SDK_VERSION} v2`;
const v1Config = new v1.Configuration({ apiKey: apiToken, basePath: V1_BASE });
const v2Config = new v2.Configuration({ apiKey: apiToken, basePath: V2_BASE });

const templatesV1 = instrument(new v1.ProjectTemplatesApi(v1Config), V1_SDK);
const templatesV2 = instrument(new v2.ProjectTemplatesApi(v2Config), V2_SDK);
const projectsV1 = instrument(new v1.ProjectsApi(v1Config), V1_SDK);
const projectsV2 = instrument(new v2.ProjectsApi(v2Config), V2_SDK);
const phases = instrument(new v2.ProjectPhasesApi(v2Config), V2_SDK);
const tasks = instrument(new v2.TasksApi(v2Config), V2_SDK);
const billing = instrument(new v1.BillingApi(v1Config), V1_SDK);

const summary = {};
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function main() {
  console.log(`dealbase e2e projects scenario against ${baseUrl}`);

  step('the templates the company starts with');
  const listed = dataOf(await sdk('getProjectTemplates v2', () => templatesV2.getProjectTemplates({ limit: 500 })), 'getProjectTemplates v2');
  const template = listed.find((t) => t.title === 'Customer onboarding');
  ok(template, 'getProjectTemplates v2: Customer onboarding is listed', listed);
  const listedV1 = dataOf(await sdk('getProjectTemplates v1', () => templatesV1.getProjectTemplates({ limit: 500 })), 'getProjectTemplates v1');
  ok(same(listedV1.map((t) => t.id), listed.map((t) => t.id)), 'getProjectTemplates v1: the same templates', listedV1);
  const one = dataOf(await sdk('getProjectTemplate v1', () => templatesV1.getProjectTemplate({ id: template.id })), 'getProjectTemplate v1');
  eq(one.projects_board_id, template.projects_board_id, 'getProjectTemplate v1: projects_board_id');
  const oneV2 = dataOf(await sdk('getProjectTemplate v2', () => templatesV2.getProjectTemplate({ id: template.id })), 'getProjectTemplate v2');
  eq(oneV2.title, 'Customer onboarding', 'getProjectTemplate v2: title');
  await expectNotFound(() => templatesV2.getProjectTemplate({ id: 999999 }), 'getProjectTemplate of no template');

  step('a project from the template (v2), with its tasks in their phases');
  const boardPhases = dataOf(await sdk('getProjectsPhases', () => phases.getProjectsPhases({ board_id: template.projects_board_id })), 'getProjectsPhases');
  const project = dataOf(await sdk('addProject v2', () => projectsV2.addProject({
    AddProjectRequest: { title: `Onboarding ${runTag}`, template_id: template.id },
  })), 'addProject v2');
  eq(project.board_id, template.projects_board_id, 'addProject v2: the template\'s board');
  eq(project.phase_id, boardPhases[0].id, 'addProject v2: the board\'s first phase');
  eq(project.description, template.description, 'addProject v2: the template\'s description');
  const made = dataOf(await sdk('getTasks v2', () => tasks.getTasks({ project_id: project.id })), 'getTasks v2');
  const titles = ['Kick-off call', "Collect the customer's data", 'Set up the account', "Train the customer's team", 'Hand over to account management'];
  ok(same(made.map((t) => t.title), titles), 'getTasks v2: the template\'s tasks, in order', made);
  const plan = dataOf(await sdk('getProjectPlan', () => projectsV1.getProjectPlan({ id: project.id })), 'getProjectPlan');
  const phaseOf = Object.fromEntries(plan.filter((p) => p.item_type === 'task').map((p) => [p.item_id, p.phase_id]));
  const [planning, progress, done] = boardPhases.map((p) => p.id);
  ok(same(made.map((t) => phaseOf[t.id]), [planning, planning, progress, progress, done]), 'getProjectPlan: each task in its phase', plan);

  step('a project from the other template (v1)');
  const other = listed.find((t) => t.title === 'Service delivery');
  const projectV1 = dataOf(await sdk('addProject v1', () => projectsV1.addProject({
    AddProjectRequest: { title: `Delivery ${runTag}`, board_id: other.projects_board_id, phase_id: planning, template_id: other.id },
  })), 'addProject v1');
  const madeV1 = dataOf(await sdk('getProjectTasks', () => projectsV1.getProjectTasks({ id: projectV1.id })), 'getProjectTasks');
  eq(madeV1.length, 4, 'getProjectTasks: the template\'s four tasks');
  ok(madeV1.every((t) => t.project_id === projectV1.id), 'getProjectTasks: all of the project', madeV1);

  step('the company\'s add-ons');
  const addons = dataOf(await sdk('getCompanyAddons', () => billing.getCompanyAddons()), 'getCompanyAddons');
  ok(Array.isArray(addons) && addons.every((a) => typeof a.code === 'string'), 'getCompanyAddons: codes', addons);

  Object.assign(summary, { templates: listed.length, projects: [project.id, projectV1.id], tasks: made.length + madeV1.length, addons: addons.length });
}

await run(main, summary);
