/**
 * Node and Lambda: outbound requests to user-supplied URLs (webhooks) through a connection that
 * checks every address it is about to connect to, so a host name that resolved to a public address
 * when it was checked cannot rebind to a private one for the request itself.
 *
 * undici is loaded at the first such request, not at start-up (~2.7 MB of heap, ~100 ms): most
 * cold starts deliver no webhook.
 */
import dns from 'node:dns'
import type { LookupAddress } from 'node:dns'
import { isForbiddenAddress } from '../src/http/public-address.js'

export const resolveHost = async (host: string): Promise<string[]> => (await dns.promises.lookup(host, { all: true })).map((a) => a.address)

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

type Fetch = (input: Parameters<typeof fetch>[0], init?: RequestInit) => Promise<Response>

export function publicOnlyFetch(allowHosts: readonly string[]): typeof fetch {
  let ready: Promise<Fetch> | undefined
  const publicOnly: Fetch = async (input, init) => (await (ready ??= loadPublicOnlyFetch(allowHosts)))(input, init)
  return publicOnly as typeof fetch
}

async function loadPublicOnlyFetch(allowHosts: readonly string[]): Promise<Fetch> {
  const { Agent, fetch: undiciFetch } = await import('./undici.js')
  const agent = new Agent({
    connect: {
      lookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback) {
        dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
          if (err) return callback(err, [])
          const refused = allowHosts.includes(hostname.toLowerCase()) ? undefined : addresses.find((a) => isForbiddenAddress(a.address))
          if (refused) return callback(Object.assign(new Error(`refusing to connect to ${hostname} (${refused.address}): not a public address`), { code: 'EACCES' }), [])
          if (options.all) return callback(null, addresses)
          callback(null, addresses[0]!.address, addresses[0]!.family)
        })
      },
    },
  })
  return (input, init) => undiciFetch(input as string, { ...(init as object), dispatcher: agent }) as unknown as Promise<Response>
}
