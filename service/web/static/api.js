// The public JSON API, called exactly as any other frontend would call it.

const BASE = new URL("./", document.baseURI);

/** An API failure, carrying the problem detail the server sent (RFC 9457). */
export class ApiError extends Error {
  constructor(status, detail) {
    super(detail || `the API answered ${status}`);
    this.status = status;
  }
}

/** Fetch one API path with query parameters (empty values left out) and return the parsed JSON. */
export async function getJson(path, params = {}, { signal } = {}) {
  const url = new URL(path, BASE);
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") url.searchParams.set(name, String(value));
  }
  const response = await fetch(url, { signal, headers: { Accept: "application/json" } });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) throw new ApiError(response.status, body && (body.detail || body.title));
  if (body === null || typeof body !== "object") throw new ApiError(response.status, "the API sent no JSON");
  return body;
}

export const PER_PAGE = 10;

/** Search posts or quotes with the page's state; facets are asked for so the filters can show counts. */
export function search(state, options) {
  return getJson("api/search", {
    q: state.q,
    type: state.type,
    // pages have no categories, authors or dates: their search takes no filters
    category: state.type === "page" ? null : state.category,
    author: state.type === "page" ? null : state.author,
    year: state.type === "page" ? null : state.year,
    page: state.page > 1 ? state.page : null,
    per_page: PER_PAGE,
    facets: state.type === "page" ? null : "category,author,year",
  }, options);
}

/**
 * Search, and for each facet that is filtered on, count its values as if it were not (one small request each),
 * so a chosen category still shows the other categories to switch to, as search sites do.
 */
export async function searchWithFacets(state, options) {
  const filtered = state.type === "page" ? [] : ["category", "author", "year"].filter((key) => state[key] !== null);
  const others = filtered.map((key) =>
    getJson("api/search", {
      q: state.q, type: state.type, per_page: 1, facets: key,
      category: key === "category" ? null : state.category, author: key === "author" ? null : state.author,
      year: key === "year" ? null : state.year,
    }, options).then((data) => [key, data.facets && data.facets[key]], () => [key, null]));
  const [data, ...counts] = await Promise.all([search(state, options), ...others]);
  if (data.facets && typeof data.facets === "object") {
    for (const [key, values] of counts) if (Array.isArray(values)) data.facets[key] = values;
  }
  return data;
}

/** Completions for what is being typed. */
export function suggest(q, options) {
  return getJson("api/search/suggest", { q }, options);
}

/** One post in full, by its slug or (for posts sharing a slug) its Jekyll id, which starts with a slash. */
export function post(key, options) {
  if (key.startsWith("/")) return getJson("api/posts/by-id", { id: key }, options);
  return getJson(`api/posts/${encodeURIComponent(key)}`, {}, options);
}

/** Posts like this one (by slug or id, as for post). */
export function related(key, options) {
  if (key.startsWith("/")) return getJson("api/posts/by-id/related", { id: key, limit: 4 }, options);
  return getJson(`api/posts/${encodeURIComponent(key)}/related`, { limit: 4 }, options);
}
