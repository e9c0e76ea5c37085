import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { allowedHosts, checkRequest, errorBody, hostForUrl, isLoopback, statusFor } from './http.js';
import { ArgumentError, CancelledError, FileFormatError, LimitError, UnsupportedError } from '../errors.js';

const req = (headers: Record<string, string>, method = 'GET'): IncomingMessage => ({ headers, method }) as unknown as IncomingMessage;

test('loopback names and addresses', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]']) assert.equal(isLoopback(h), true, h);
  for (const h of ['0.0.0.0', '::', '192.168.1.2', 'example.com', '127.0.0.1.example.com']) assert.equal(isLoopback(h), false, h);
  assert.equal(hostForUrl('::1'), '[::1]');
  assert.equal(hostForUrl('127.0.0.1'), '127.0.0.1');
});

test('a loopback server answers only the loopback names at its port', () => {
  const allowed = allowedHosts('127.0.0.1', 8765);
  assert.deepEqual([...allowed].sort(), ['127.0.0.1:8765', '[::1]:8765', 'localhost:8765']);
  assert.ok(allowedHosts('192.168.1.5', 80).has('192.168.1.5:80'));
});

test('requests: foreign Host and Origin refused, cross-site API calls refused, navigation allowed', () => {
  const allowed = allowedHosts('127.0.0.1', 9000);
  assert.equal(checkRequest(req({ host: '127.0.0.1:9000' }), allowed, true), null);
  assert.equal(checkRequest(req({ host: 'LOCALHOST:9000' }), allowed, true), null);
  assert.equal(checkRequest(req({ host: 'rebind.example:9000' }), allowed, false)?.status, 403);
  assert.equal(checkRequest(req({}), allowed, false)?.code, 'FORBIDDEN_HOST');
  assert.equal(checkRequest(req({ host: '127.0.0.1:9000', origin: 'http://evil.example' }, 'POST'), allowed, true)?.code, 'FORBIDDEN_ORIGIN');
  assert.equal(checkRequest(req({ host: '127.0.0.1:9000', origin: 'http://127.0.0.1:9000' }, 'POST'), allowed, true), null);
  assert.equal(checkRequest(req({ host: '127.0.0.1:9000', origin: 'null' }, 'POST'), allowed, true)?.status, 403);
  assert.equal(checkRequest(req({ host: '127.0.0.1:9000', 'sec-fetch-site': 'same-site' }), allowed, true)?.status, 403);
  assert.equal(checkRequest(req({ host: '127.0.0.1:9000', 'sec-fetch-site': 'cross-site' }), allowed, false), null);
});

test('errors map to statuses and keep the CLI name, code and message', () => {
  assert.equal(statusFor(new ArgumentError('BAD_ARGUMENT', 'x')), 400);
  assert.equal(statusFor(new FileFormatError('NPY_BAD_HEADER', 'x')), 422);
  assert.equal(statusFor(new UnsupportedError('KERAS_LAMBDA', 'x')), 422);
  assert.equal(statusFor(new LimitError('LIMIT_EXCEEDED', 'x')), 413);
  assert.equal(statusFor(new CancelledError()), 409);
  assert.equal(statusFor(new Error('bug')), 500);
  assert.deepEqual(errorBody(new FileFormatError('NPY_BAD_HEADER', 'bad.npy: not a valid .npy file')), { error: { name: 'FileFormatError', code: 'NPY_BAD_HEADER', message: 'bad.npy: not a valid .npy file' } });
  assert.equal(errorBody(new Error('oops')).error.code, 'INTERNAL');
});
