/**
 * `path` under `base`, keeping the path prefix `base` has: an API Gateway stage or a reverse proxy's
 * mount point (`https://host/prod` + `/tasks/x` → `https://host/prod/tasks/x`), which
 * `new URL('/tasks/x', base)` would drop.
 */
export function joinUrl(base: string | URL, path: string): URL {
  const url = new URL(base)
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}`
  url.search = ''
  url.hash = ''
  return url
}
