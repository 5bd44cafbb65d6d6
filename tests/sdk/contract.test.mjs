// Contract tests: the official TypeScript SDK (@sentdm/sentdm, pinned in package.json) against
// the real sent-mock binary, through the SDK's own methods and error classes.
//
// SENT_BASE_URL points at a running mock (.ci/run starts one); SENT_MOCK_BIN is the binary,
// for the tests that need a mock started with other flags. Each test mints its own
// organization, so tests never see each other's profiles, keys or scenario counters.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

import Sent, {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
} from '@sentdm/sentdm';

const BASE = process.env.SENT_BASE_URL;
const BIN = process.env.SENT_MOCK_BIN;
assert.ok(BASE, 'SENT_BASE_URL must point at a running sent-mock');

const started = [];
after(() => started.forEach((child) => child.kill()));

/** The seed page's full create body, with a card expiry safely in the future. */
function seedBody() {
  return {
    name: 'Sales Team',
    icon: 'https://example.com/sales-icon.png',
    description: 'Sales department sender profile',
    short_name: 'SALES',
    allow_contact_sharing: true,
    allow_template_sharing: false,
    inherit_contacts: true,
    inherit_templates: true,
    inherit_tcr_brand: false,
    inherit_tcr_campaign: false,
    billing_model: 'profile',
    billing_contact: {
      name: 'Acme Corp',
      email: 'billing@acmecorp.com',
      phone: '+12025551234',
      address: '123 Main Street, New York, NY 10001, US',
    },
    whatsapp_business_account: {
      waba_id: '123456789012345',
      phone_number_id: '987654321098765',
      access_token: 'EAAxxxxxxxxxxxxxxx',
    },
    brand: {
      contact: {
        name: 'John Smith',
        businessName: 'Acme Corp',
        role: 'CEO',
        phone: '+12025551234',
        email: 'john@acmecorp.com',
        phoneCountryCode: '1',
      },
      business: {
        legalName: 'Acme Corporation LLC',
        taxId: '12-3456789',
        taxIdType: 'us_ein',
        entityType: 'PRIVATE_PROFIT',
        street: '123 Main Street',
        city: 'New York',
        state: 'NY',
        postalCode: '10001',
        country: 'US',
        url: 'https://acmecorp.com',
        countryOfRegistration: 'US',
      },
      compliance: {
        vertical: 'PROFESSIONAL',
        brandRelationship: 'SMALL_ACCOUNT',
        primaryUseCase: 'Customer notifications and appointment reminders',
        expectedMessagingVolume: '10000',
        isTcrApplication: true,
        phoneNumberPrefix: '+1',
        destinationCountries: [{ id: 'US', isMain: false }],
        notes: null,
      },
    },
    payment_details: { card_number: '4111111111111111', expiry: '09/49', cvc: '123', zip_code: '10001' },
    sandbox: false,
  };
}

async function control(base, method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return response.json();
}

/** A fresh organization of the mock; answers its admin and developer keys. */
async function mint(options = {}, base = BASE) {
  const minted = await control(base, 'POST', '/_mock/organizations', options);
  const key = (role) => minted.data.keys.find((k) => k.role === role).key;
  return { id: minted.data.organization.id, admin: key('admin'), developer: key('developer') };
}

function client(apiKey, options = {}, baseURL = BASE) {
  return new Sent({ apiKey, baseURL, timeout: 10_000, ...options });
}

async function journal(query) {
  return (await control(BASE, 'GET', `/_mock/requests?${query}`)).data.requests;
}

/** Starts another mock with `args` on a free port; answers its base URL. */
async function startMock(args) {
  assert.ok(BIN, 'SENT_MOCK_BIN must name the sent-mock binary');
  const child = spawn(BIN, ['--port', '0', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  started.push(child);
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const match = line.match(/listening on (http:\/\/\S+)/);
    if (match) return match[1];
  }
  throw new Error('the mock printed no address');
}

/** Runs `call`, expecting it to throw `ErrorClass`; answers the error. */
async function expectError(call, ErrorClass) {
  try {
    await call();
  } catch (err) {
    assert.ok(err instanceof ErrorClass, `expected ${ErrorClass.name}, got ${err?.constructor?.name}: ${err}`);
    return err;
  }
  assert.fail(`expected ${ErrorClass.name}, but the call succeeded`);
}

function assertEnvelope(err, status, code) {
  assert.equal(err.status, status);
  assert.equal(err.error.success, false);
  assert.equal(err.error.data, null);
  assert.equal(err.error.error.code, code);
  assert.equal(err.error.error.doc_url, `https://docs.sent.dm/errors/${code}`);
  assert.equal(err.error.meta.version, 'v3');
  assert.equal(err.headers.get('x-request-id'), err.error.meta.request_id);
}

test('create with the seed page body answers typed profile data', async () => {
  const org = await mint();
  const sent = client(org.admin);

  const created = await sent.profiles.create(seedBody());

  assert.equal(created.success, true);
  const profile = created.data;
  assert.match(profile.id, /^[0-9a-f-]{36}$/);
  assert.equal(profile.organization_id, org.id);
  assert.equal(profile.name, 'Sales Team');
  assert.equal(profile.status, 'incomplete');
  assert.equal(profile.waba_id, '123456789012345');
  assert.equal(profile.billing_contact.email, 'billing@acmecorp.com');
  assert.equal(profile.brand.compliance.brand_relationship, 'SMALL_ACCOUNT');
  assert.deepEqual(profile.brand.compliance.destination_countries, [{ id: 'US', isMain: false }]);
  assert.match(created.meta.request_id, /^req_[A-Za-z0-9]{10}$/);
  assert.ok(!JSON.stringify(created).includes('4111111111111111'));
  assert.ok(!JSON.stringify(created).includes('EAAxxxxxxxxxxxxxxx'));
});

test('400 is a BadRequestError with the field problems in the envelope', async () => {
  const org = await mint();
  const err = await expectError(() => client(org.admin).profiles.create({ short_name: 'x' }), BadRequestError);
  assertEnvelope(err, 400, 'VALIDATION_001');
  assert.deepEqual(err.error.error.details.name, ['Profile name is required']);
});

test('401 is an AuthenticationError', async () => {
  const err = await expectError(() => client('sk_test_nobody').profiles.list(), AuthenticationError);
  assertEnvelope(err, 401, 'AUTH_002');
});

test('403 is a PermissionDeniedError', async () => {
  const org = await mint();
  const err = await expectError(() => client(org.developer).profiles.create({ name: 'No' }), PermissionDeniedError);
  assertEnvelope(err, 403, 'AUTH_004');
});

test('404 is a NotFoundError', async () => {
  const org = await mint();
  const err = await expectError(
    () => client(org.admin).profiles.retrieve('770e8400-e29b-41d4-a716-000000000000'),
    NotFoundError,
  );
  assertEnvelope(err, 404, 'RESOURCE_014');
});

test('409 is a ConflictError', async () => {
  const org = await mint();
  const sent = client(org.admin, { maxRetries: 0 });
  const err = await expectError(() => sent.profiles.create({ name: 'mock:conflict' }), ConflictError);
  assertEnvelope(err, 409, 'CONFLICT_001');
});

test('422 is an UnprocessableEntityError', async () => {
  const org = await mint({ waba: false });
  const err = await expectError(() => client(org.admin).profiles.create({ name: 'No WABA' }), UnprocessableEntityError);
  assertEnvelope(err, 422, 'VALIDATION_001');
  assert.match(err.error.error.message, /^Organization does not have a WhatsApp Business Account configured\./);
});

test('429 is a RateLimitError', async () => {
  const org = await mint();
  const sent = client(org.admin, { maxRetries: 0 });
  const err = await expectError(() => sent.profiles.create({ name: 'mock:rate-limited' }), RateLimitError);
  assertEnvelope(err, 429, 'BUSINESS_002');
  assert.equal(err.headers.get('retry-after'), '1');
});

test('500 is an InternalServerError naming the operation and the request id', async () => {
  const org = await mint();
  const sent = client(org.admin, { maxRetries: 0 });
  const err = await expectError(() => sent.profiles.create({ name: 'mock:internal-error' }), InternalServerError);
  assertEnvelope(err, 500, 'INTERNAL_001');
  assert.equal(
    err.error.error.message,
    `Failed to create profile. Please contact support with request ID: ${err.error.meta.request_id}`,
  );
});

test("the SDK's automatic retries meet idempotency: a flaky create succeeds once", async () => {
  const org = await mint();
  const sent = client(org.admin, { maxRetries: 2 });

  const created = await sent.profiles.create({ name: 'mock:flaky', 'Idempotency-Key': 'sdk-flaky-1' });

  assert.equal(created.data.name, 'mock:flaky');
  const attempts = await journal(`idempotency_key=sdk-flaky-1&organization_id=${org.id}`);
  assert.deepEqual(attempts.map((a) => a.status), [500, 500, 200]);
  assert.deepEqual(attempts.map((a) => a.headers['x-stainless-retry-count']), ['0', '1', '2']);
  const listed = await sent.profiles.list();
  assert.equal(listed.data.profiles.filter((p) => p.name === 'mock:flaky').length, 1);
});

test('a retry after a dropped connection gets the stored answer: one profile', async () => {
  const org = await mint();
  const sent = client(org.admin, { maxRetries: 2 });

  const created = await sent.profiles.create({ name: 'mock:create-then-drop', 'Idempotency-Key': 'sdk-drop-1' });

  const attempts = await journal(`idempotency_key=sdk-drop-1&organization_id=${org.id}`);
  assert.equal(attempts.length, 2);
  assert.equal(attempts[0].status, null, 'the first answer never reached the client');
  assert.equal(attempts[1].replayed, true);
  const listed = await sent.profiles.list();
  assert.deepEqual(listed.data.profiles.map((p) => p.id), [created.data.id]);
});

test('retry-after is honoured on a 429', async () => {
  const org = await mint();
  const sent = client(org.admin, { maxRetries: 2 });

  const created = await sent.profiles.create({ name: 'mock:rate-limited-once' });

  assert.equal(created.data.name, 'mock:rate-limited-once');
  const attempts = await journal(`organization_id=${org.id}`);
  assert.deepEqual(attempts.map((a) => a.status), [429, 200]);
  const waited = Date.parse(attempts[1].at) - Date.parse(attempts[0].at);
  assert.ok(waited >= 900, `the SDK waited ${waited} ms after retry-after: 1`);
});

test('list, retrieve, update, delete and complete', async () => {
  const org = await mint();
  const sent = client(org.admin);
  const ready = await sent.profiles.create({ name: 'Ready', billing_model: 'organization' });
  const other = await sent.profiles.create({ name: 'Other' });

  const listed = await sent.profiles.list();
  assert.deepEqual(listed.data.profiles.map((p) => p.id), [other.data.id, ready.data.id]);

  const retrieved = await sent.profiles.retrieve(ready.data.id);
  assert.deepEqual(retrieved.data, ready.data);

  const updated = await sent.profiles.update(ready.data.id, { description: 'changed', short_name: null });
  assert.equal(updated.data.description, 'changed');
  assert.equal(updated.data.short_name, null);

  const completed = await sent.profiles.complete(ready.data.id, { webHookUrl: 'http://127.0.0.1:9/hook' });
  assert.equal(completed.data.status, 'completed');
  assert.equal((await sent.profiles.retrieve(ready.data.id)).data.status, 'completed');

  const deleted = await sent.profiles.delete(other.data.id, {});
  assert.equal(deleted ?? null, null, 'a 204 has no body');
  await expectError(() => sent.profiles.retrieve(other.data.id), NotFoundError);
  const sandboxDelete = await sent.profiles.delete(ready.data.id, { sandbox: true }).asResponse();
  assert.equal(sandboxDelete.status, 204);
  assert.equal(sandboxDelete.headers.get('x-sandbox'), 'true');
  assert.equal((await sent.profiles.list()).data.profiles.length, 1);
});

test('an unknown path is a NotFoundError', async () => {
  const org = await mint();
  const err = await expectError(() => client(org.admin).get('/_stainless_unknown_path'), NotFoundError);
  assertEnvelope(err, 404, 'ROUTE_NOT_FOUND');
});

test('a placeholder key is refused, and accepted only with --any-api-key', async () => {
  await expectError(() => client('My API Key').profiles.list(), AuthenticationError);

  const lenient = await startMock(['--any-api-key']);
  const created = await client('My API Key', {}, lenient).profiles.create({ name: 'Placeholder' });

  assert.equal(created.data.name, 'Placeholder');
});
