// The page's state lives in the address bar: ?q=&type=&category=&author=&year=&page=&post=

const KEYS = ["q", "type", "category", "author", "year", "page", "post"];
const TYPES = ["post", "quote", "page"];

/** Read a state from a query string, dropping anything the API would refuse. */
export function parseState(search) {
  const params = new URLSearchParams(search);
  const q = (params.get("q") || "").slice(0, 200);
  const type = TYPES.includes(params.get("type")) ? params.get("type") : "post";
  const category = clean(params.get("category"));
  const author = clean(params.get("author"));
  const yearNumber = Number.parseInt(params.get("year") || "", 10);
  const year = yearNumber >= 1 && yearNumber <= 9999 ? yearNumber : null;
  const pageNumber = Number.parseInt(params.get("page") || "", 10);
  const page = pageNumber >= 1 && pageNumber <= 10000 ? pageNumber : 1;
  const post = clean(params.get("post"));
  return { q, type, category, author, year, page, post };
}

function clean(value) {
  return value && value.length <= 200 ? value : null;
}

/** Write a state as a query string, leaving defaults out so shared links stay short. */
export function toSearch(state) {
  const params = new URLSearchParams();
  for (const key of KEYS) {
    const value = state[key];
    if (value === null || value === undefined || value === "") continue;
    if (key === "type" && value === "post") continue;
    if (key === "page" && value === 1) continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** The link for a state, relative to the page so it works under any mount point. */
export function hrefFor(state) {
  return toSearch(state) || "./";
}

/** How the address names a post: its slug, or its Jekyll id when other posts share the slug (Jekyll publishes
 * them all, so each needs its own address). */
export function postKey(post) {
  return post && Array.isArray(post.other_ids) && post.other_ids.length && post.id ? post.id : post && post.slug;
}

/** The search part of a state, without an open post. */
export function searchOnly(state) {
  return { ...state, post: null };
}

/** A new state: `changes` applied; any change of query or filter goes back to page 1. */
export function withChanges(state, changes) {
  const next = { ...state, ...changes };
  const narrowing = ["q", "type", "category", "author", "year"].some((k) => k in changes && changes[k] !== state[k]);
  if (narrowing && !("page" in changes)) next.page = 1;
  return next;
}

export function sameState(a, b) {
  return toSearch(a) === toSearch(b);
}
