/** Issue 14, hole 10: the start limit counts an IPv6 client by its /64 (configurable), an IPv4 client by address. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { clientKey, StartLimiter } from '../../src/server/startLimiter.js';
import { ManualClock } from '../helpers/clock.js';

test('an IPv6 client rotating through its /64 is one client', () => {
  const limiter = new StartLimiter(3, new ManualClock());
  const rotated = ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:0db8:0001:0002:ffff::9'];
  assert.deepEqual(rotated.map((a) => limiter.take(a)).map((wait) => wait > 0), [false, false, false, true]);
  assert.equal(limiter.take('2001:db8:1:3::1'), 0, 'the next /64 is another client');
});

test('IPv4 clients count by address, an IPv4-mapped IPv6 address as its IPv4 address', () => {
  const limiter = new StartLimiter(1, new ManualClock());
  assert.equal(limiter.take('192.0.2.1'), 0);
  assert.equal(limiter.take('192.0.2.2'), 0, 'a neighbour is another client');
  assert.ok(limiter.take('::ffff:192.0.2.1') > 0, 'the same host seen through a dual-stack socket');
});

test('the prefix length is configurable and read from HERMES_ONBOARD_IPV6_PREFIX', () => {
  assert.equal(clientKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:db8:1:2:3:4:5:6', 48), '2001:db8:1::/48');
  assert.equal(clientKey('2001:db8:1:2:3:4:5:6', 128), '2001:db8:1:2:3:4:5:6/128');
  assert.equal(clientKey('fe80::1%eth0'), 'fe80::/64');
  assert.equal(clientKey('not an address'), 'not an address');
  assert.equal(loadConfig({}).ipv6Prefix, 64);
  assert.equal(loadConfig({ HERMES_ONBOARD_IPV6_PREFIX: '56' }).ipv6Prefix, 56);
  assert.throws(() => loadConfig({ HERMES_ONBOARD_IPV6_PREFIX: '8' }), ConfigError);
  const wide = new StartLimiter(1, new ManualClock(), 48);
  assert.equal(wide.take('2001:db8:1:2::1'), 0);
  assert.ok(wide.take('2001:db8:1:ffff::1') > 0, 'another /64 of the same /48');
});
