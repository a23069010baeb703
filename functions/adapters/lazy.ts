/** A Lambda handler built on the first invocation of an execution environment, then reused while it is warm. */
export function lazyHandler<E, R, C extends unknown[]>(create: () => (event: E, ...context: C) => R): (event: E, ...context: C) => R {
  let built: ((event: E, ...context: C) => R) | undefined
  return (event, ...context) => (built ??= create())(event, ...context)
}
