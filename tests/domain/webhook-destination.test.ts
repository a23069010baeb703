/**
 * Which addresses a webhook may reach: plainly public unicast only, however it is written. Every
 * form below is an encoding a resolver or a URL can produce; each refused one names a range that
 * reaches the machine itself, its network, or a cloud's metadata service.
 */
import { describe, expect, it } from 'vitest'
import { isForbiddenAddress, refusedDestination } from '../../src/domain/webhooks/destination.js'

const refused = [
  // IPv4: this network, private, CGNAT, loopback, link-local (metadata), IETF, documentation, benchmarking, multicast, reserved, broadcast
  '0.0.0.0', '0.1.2.3', '10.0.0.1', '10.255.255.255', '100.64.0.1', '100.127.255.254', '127.0.0.1', '127.255.255.254', '169.254.169.254',
  '169.254.0.1', '172.16.0.1', '172.31.255.254', '192.0.0.1', '192.0.2.1', '192.88.99.1', '192.168.0.1', '192.168.255.254', '198.18.0.1',
  '198.19.255.254', '198.51.100.1', '203.0.113.1', '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255',
  // IPv6: unspecified, loopback, IPv4-compatible (deprecated ::/96), mapped and translated private IPv4, NAT64 of private IPv4
  '::', '::1', '::127.0.0.1', '::7f00:1', '::a9fe:a9fe', '::a00:1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:169.254.169.254',
  '::ffff:0:127.0.0.1', '::ffff:0:a9fe:a9fe', '64:ff9b::127.0.0.1', '64:ff9b::a9fe:a9fe', '64:ff9b:1::a00:1',
  // IPv6 ranges that are not public unicast: 6to4, Teredo, site-local, unique-local, link-local, multicast, documentation, discard,
  // benchmarking, ORCHID, segment routing, the new documentation block, and space outside 2000::/3
  '2002:7f00:1::1', '2002:a9fe:a9fe::1', '2002:808:808::1', '2001::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2', 'fec0::1', 'fd00::1', 'fd00:ec2::254',
  'fc00::1', 'fe80::1', 'fe80::1%eth0', 'ff02::1', 'ff05::c', '2001:db8::1', '100::1', '2001:2::1', '2001:10::1', '2001:20::1', '5f00::1', '3fff::1',
  '4000::1', '1::1',
  // Not an address at all
  '', 'localhost', '999.1.1.1', '1.2.3', '::g', '[::1',
]
const allowed = ['8.8.8.8', '1.1.1.1', '93.184.215.14', '::ffff:8.8.8.8', '64:ff9b::808:808', '2606:4700::1111', '2001:4860:4860::8888', '2a00:1450:4001:82b::200e']

describe('webhook destination addresses', () => {
  it.each(refused)('refuses %j', (address) => {
    expect(isForbiddenAddress(address)).toBe(true)
  })

  it.each(allowed)('allows the public address %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(false)
  })

  it.each([
    ['http://[::127.0.0.1]/', /not a public address/],
    ['http://[::ffff:0:127.0.0.1]/', /not a public address/],
    ['http://2130706433/', /127\.0\.0\.1 is not a public address/],
    ['http://0x7f.1/', /127\.0\.0\.1 is not a public address/],
    ['http://[fe80::1%25eth0]/', /not a public address|not a URL/],
  ])('refuses the URL %s whatever the spelling', async (url, message) => {
    expect(await refusedDestination(url, { allowHosts: [] })).toMatch(message)
  })

  it('accepts a public literal and lets an allow-listed host through', async () => {
    expect(await refusedDestination('https://[2606:4700::1111]/hook', { allowHosts: [] })).toBeUndefined()
    expect(await refusedDestination('http://127.0.0.1:9999/hook', { allowHosts: ['127.0.0.1'] })).toBeUndefined()
  })
})
