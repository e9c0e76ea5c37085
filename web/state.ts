// The page's state in the URL (after '#'): selected input and every method option, so a view
// can be bookmarked and reproduced. Plain key=value pairs; writes replace the history entry.

let state: URLSearchParams | null = null;
let pending = false;

/** The state, read from the URL on first use. */
function current(): URLSearchParams {
  state ??= new URLSearchParams(location.hash.replace(/^#/, ''));
  return state;
}

/** A state value, or undefined. */
export function getState(key: string): string | undefined {
  const v = current().get(key);
  return v === null ? undefined : v;
}

/** Sets (or, with undefined or '', removes) a state value; the URL follows after this task. */
export function setState(key: string, value: string | number | undefined): void {
  const s = current();
  if (value === undefined || value === '') s.delete(key);
  else s.set(key, String(value));
  if (!pending) {
    pending = true;
    queueMicrotask(() => {
      pending = false;
      history.replaceState(null, '', `#${s.toString()}`);
    });
  }
}
