/**
 * Native work done off the JS thread (flush, writing a file) rejects from a libuv callback:
 * the error's stack holds no frame of the code that asked for the work, so a user cannot tell
 * which of their calls failed. As sharp does, the stack is captured at the call and the error
 * is rethrown with it.
 */

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- any function of the API is a valid cut-off frame
export function withCallerStack<T>(work: Promise<T>, api: Function): Promise<T> {
  const site: { stack?: string } = {};
  // Frames from `api` up are the library's own; the caller's start below it.
  Error.captureStackTrace(site, api);
  return work.catch((err: unknown) => {
    if (err instanceof Error && site.stack !== undefined) {
      const frames = site.stack.slice(site.stack.indexOf('\n'));
      err.stack = `${err.name}: ${err.message}${frames}`;
    }
    throw err;
  });
}
