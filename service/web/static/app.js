// The search page: state in the address bar, search as you type, a post view; all from the JSON API.

import * as api from "./api.js";
import { renderPost, renderPostError, renderRelated } from "./post.js";
import { renderSearch } from "./results.js";
import { hrefFor, parseState, postKey, searchOnly, toSearch, withChanges } from "./state.js";
import { completeQuery, setupSuggestions } from "./suggest.js";

const SEARCH_DELAY_MS = 250;

const input = document.getElementById("q");
const form = document.getElementById("search-form");
const searchView = document.getElementById("search-view");
const postView = document.getElementById("post-view");
const resultsHeading = document.getElementById("results-heading");
const statusLine = document.getElementById("status");

let state = parseState(location.search);
let shownSearch = null; // the query string of the results on screen, so returning from a post needs no request
let typingEntry = false; // this history entry was made by typing: refining keystrokes replace it, not add to it
let searchController = null;
let postController = null;
let typingTimer = null;
const scrollPositions = new Map();

history.scrollRestoration = "manual";

/** The address bar's state, written the one way toSearch writes it. */
function here() {
  return toSearch(parseState(location.search));
}

/** Move to a new state: record it in the address bar, then draw it. */
function navigate(next, { typing = false, focus = null } = {}) {
  const url = hrefFor(next);
  const current = here();
  scrollPositions.set(current, window.scrollY);
  if (toSearch(next) !== current) {
    if (typing && typingEntry && refines(state.q, next.q)) history.replaceState(history.state, "", url);
    else history.pushState({ from: current }, "", url);
  }
  typingEntry = typing;
  render(next, { focus });
}

// Typing more or fewer letters of one search refines it; typing a different one starts a new history entry.
function refines(before, after) {
  const a = before.trim().toLowerCase();
  const b = after.trim().toLowerCase();
  return b !== "" && (a.startsWith(b) || b.startsWith(a));
}

function render(next, { focus = null, restoreScroll = false } = {}) {
  state = next;
  syncControls();
  if (state.post) {
    searchView.hidden = true;
    postView.hidden = false;
    showPost(state, focus);
    return;
  }
  postView.hidden = true;
  searchView.hidden = false;
  document.title = state.q ? `${state.q} – Search · Broadsheet` : "Search · Broadsheet";
  const key = toSearch(state);
  const done = () => {
    if (next !== state) return; // a newer navigation took over
    if (restoreScroll) window.scrollTo(0, scrollPositions.get(here()) || 0);
    applyFocus(focus);
  };
  if (key === shownSearch) done();
  else runSearch(state).then(done);
}

function syncControls() {
  // Never overwrite what is being typed with an older state.
  if (input.value !== state.q && !(document.activeElement === input && typingTimer)) input.value = state.q;
  document.getElementById(`type-${state.type}`).checked = true;
}

function applyFocus(focus) {
  if (!focus) return;
  if (focus === "results") {
    resultsHeading.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  } else if (focus.facet) {
    const again = document.querySelector(`[data-facet="${focus.facet}"][data-value="${CSS.escape(focus.value)}"]`);
    (again || resultsHeading).focus();
  }
}

async function runSearch(wanted) {
  if (searchController) searchController.abort();
  searchController = new AbortController();
  const results = document.getElementById("results");
  results.setAttribute("aria-busy", "true");
  try {
    const data = await api.searchWithFacets(wanted, { signal: searchController.signal });
    if (wanted !== state) return;
    renderSearch(data, wanted);
    shownSearch = toSearch(wanted);
  } catch (error) {
    if (error.name === "AbortError") return;
    statusLine.textContent = `Search failed: ${error.message}`;
    results.replaceChildren();
    document.getElementById("pagination").replaceChildren();
    document.getElementById("did-you-mean").hidden = true;
    shownSearch = null;
  } finally {
    if (wanted === state) results.removeAttribute("aria-busy");
  }
}

async function showPost(wanted, focus) {
  if (postController) postController.abort();
  postController = new AbortController();
  const { signal } = postController;
  const backHref = hrefFor(searchOnly(wanted));
  postView.setAttribute("aria-busy", "true");
  try {
    const post = await api.post(wanted.post, { signal });
    if (wanted !== state) return;
    renderPost(postView, post, wanted, { backHref });
    document.title = `${post.title || post.slug} · Broadsheet`;
    api.related(wanted.post, { signal })
      .then((data) => { if (wanted === state) renderRelated(data.items, wanted); })
      .catch(() => {}); // related posts are a bonus: the post stands without them
  } catch (error) {
    if (error.name === "AbortError") return;
    renderPostError(postView, error.status === 404 ? "There is no post at this address." : error.message, backHref);
    document.title = "Post not available · Broadsheet";
  } finally {
    if (wanted === state) postView.removeAttribute("aria-busy");
  }
  if (wanted !== state) return;
  window.scrollTo(0, 0);
  if (focus !== "none") document.getElementById("post-title").focus({ preventScroll: true });
}

// Typing searches after a pause; the first pause adds a history entry, later ones update it.
input.addEventListener("input", () => {
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => {
    typingTimer = null;
    navigate(withChanges(searchOnly(state), { q: input.value }), { typing: true });
  }, SEARCH_DELAY_MS);
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(typingTimer);
  typingTimer = null;
  suggestions.close();
  navigate(withChanges(searchOnly(state), { q: input.value }));
});

form.addEventListener("change", (event) => {
  if (event.target.name !== "type") return;
  navigate(withChanges(searchOnly(state), { type: event.target.value }));
});

const suggestions = setupSuggestions(input, document.getElementById("suggestions"), {
  fetchSuggestions: api.suggest,
  onPick(item) {
    clearTimeout(typingTimer);
    typingTimer = null;
    if (item.kind === "title" && item.slug) {
      navigate({ ...searchOnly(state), post: postKey(item) });
      return;
    }
    input.value = item.kind === "title" ? item.text : completeQuery(input.value, item.text);
    navigate(withChanges(searchOnly(state), { q: input.value }));
  },
});

// Links inside the page navigate without reloading; modified clicks (new tab) keep their usual meaning.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-nav]");
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  const next = parseState(new URL(link.href).search);
  if (link.dataset.nav === "back" && history.state && history.state.from === toSearch(next)) {
    history.back();
    return;
  }
  if (link.dataset.facet) {
    // Built from the state now, not when the link was drawn: a newer search may be on its way.
    const { facet, value } = link.dataset;
    const on = String(state[facet]) === value;
    const changes = { [facet]: on ? null : (facet === "year" ? Number(value) : value) };
    navigate(withChanges(searchOnly(state), changes), { focus: { facet, value } });
    return;
  }
  navigate(next, { focus: next.post ? null : "results" });
});

window.addEventListener("popstate", () => {
  // A jump to an anchor inside a post changes only the hash: the state is the same.
  if (toSearch(state) === here()) return;
  clearTimeout(typingTimer);
  typingTimer = null;
  typingEntry = false;
  suggestions.close();
  render(parseState(location.search), { focus: "none", restoreScroll: true });
});

// At phone width the filters fold away behind a button (CSS hides the button on wider screens).
const filtersToggle = document.getElementById("filters-toggle");
filtersToggle.addEventListener("click", () => {
  const open = filtersToggle.getAttribute("aria-expanded") !== "true";
  filtersToggle.setAttribute("aria-expanded", String(open));
  document.querySelector(".filters").classList.toggle("open", open);
});

// "/" jumps to the search box from anywhere but a text field, as on many search sites.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const tag = document.activeElement && document.activeElement.tagName;
  if (tag === "INPUT" || tag === "TEXTAREA" || document.activeElement.isContentEditable) return;
  event.preventDefault();
  input.focus();
  input.select();
});

render(state, { focus: "none" });
