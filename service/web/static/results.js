// Drawing one search response: hits, facet filters, pagination and "did you mean".

import { categoryList, el, highlighted, imageEl, squash, timeEl } from "./dom.js";
import { hrefFor, postKey, searchOnly, withChanges } from "./state.js";

const $ = (id) => document.getElementById(id);

/** Draw everything a search response holds for the given state. */
export function renderSearch(data, state) {
  renderStatus(data, state);
  renderDidYouMean(data, state);
  renderActiveFilters(state, categoryName(data, state.category), facetName(data, "author", state.author));
  renderHits(data, state);
  renderFacets(data, state);
  renderPagination(data, state);
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function renderStatus(data, state) {
  const total = Number.isFinite(data.total) ? data.total : (data.items || []).length;
  const noun = state.type;
  const parts = [state.q ? `${plural(total, noun)} for “${state.q}”` : `${plural(total, noun)}, newest first`];
  if (Number.isFinite(data.took_ms)) parts.push(`${data.took_ms.toFixed(1)} ms`);
  $("status").textContent = parts.join(" · ");
}

function renderDidYouMean(data, state) {
  const box = $("did-you-mean");
  box.replaceChildren();
  const suggestion = typeof data.suggestion === "string" ? data.suggestion.trim() : "";
  if (!suggestion || suggestion.toLowerCase() === state.q.trim().toLowerCase()) {
    box.hidden = true;
    return;
  }
  const target = withChanges(searchOnly(state), { q: suggestion });
  box.append("Did you mean ", el("a", { href: hrefFor(target), "data-nav": "", text: suggestion }), "?");
  box.hidden = false;
}

function categoryName(data, slug) {
  const values = data.facets && Array.isArray(data.facets.category) ? data.facets.category : [];
  const found = values.find((v) => v && String(v.value) === slug);
  return (found && found.name) || slug;
}

function facetName(data, key, slug) {
  const values = data.facets && Array.isArray(data.facets[key]) ? data.facets[key] : [];
  const found = values.find((v) => v && String(v.value) === slug);
  return (found && found.name) || slug;
}

function renderActiveFilters(state, categoryLabel, authorLabel) {
  const box = $("active-filters");
  box.replaceChildren();
  const active = [];
  if (state.category) active.push(["category", categoryLabel]);
  if (state.author) active.push(["author", authorLabel]);
  if (state.year) active.push(["year", String(state.year)]);
  for (const [key, label] of active) {
    box.append(el("a", {
      class: "active-filter", href: hrefFor(withChanges(searchOnly(state), { [key]: null })), "data-nav": "",
      "aria-label": `Remove filter ${key}: ${label}`,
    }, `${label} `, el("span", { "aria-hidden": "true", text: "×" })));
  }
}

function renderHits(data, state) {
  const list = $("results");
  list.replaceChildren();
  const items = Array.isArray(data.items) ? data.items : [];
  if (items.length === 0) {
    list.append(el("li", { class: "empty" },
      el("p", { text: state.q ? "Nothing matches that search." : "No posts match these filters." }),
      state.category || state.author || state.year
        ? el("p", {}, el("a", { href: hrefFor({ q: state.q, type: state.type }), "data-nav": "",
          text: "Search without filters" }))
        : null));
    return;
  }
  const draw = { quote: quoteHit, page: pageHit }[state.type] || postHit;
  for (const hit of items) list.append(draw(hit, state));
}

function postHref(state, slug) {
  return hrefFor({ ...state, post: slug });
}

function categoryHref(state) {
  return (slug) => hrefFor(withChanges(searchOnly(state), { category: slug }));
}

function postHit(hit, state) {
  const highlights = hit.highlights || {};
  const title = highlights.title ? highlighted(highlights.title) : (hit.title || hit.slug || "Untitled");
  const snippet = highlights.body ? highlighted(squashHighlight(highlights.body)) : squash(hit.excerpt);
  const image = imageEl(hit.image, { className: "hit-image", sizes: "(max-width: 760px) 100vw, 160px",
    decorative: true });
  return el("li", { class: "hit" },
    el("div", { class: "hit-text" },
      el("h3", { class: "hit-title" },
        el("a", { href: postHref(state, postKey(hit)), "data-nav": "", "data-slug": hit.slug }, title)),
      el("p", { class: "meta" }, timeEl(hit.date), readingTime(hit), authorLinks(hit, state)),
      el("p", { class: "snippet" }, snippet),
      categoryList(hit.categories, categoryHref(state))),
    image ? el("div", { class: "hit-media" }, image) : null);
}

function authorLinks(hit, state) {
  const authors = Array.isArray(hit.authors) ? hit.authors.filter((a) => a && a.slug) : [];
  if (authors.length === 0) return null;
  const links = [];
  authors.forEach((author, n) => {
    if (n > 0) links.push(", ");
    links.push(el("a", { href: hrefFor(withChanges(searchOnly(state), { author: author.slug })), "data-nav": "",
      text: author.name || author.slug }));
  });
  return el("span", { class: "authors" }, "By ", ...links);
}

/** A page or collection document: it lives on the site itself, so the title links to its public URL. */
function pageHit(hit) {
  const highlights = hit.highlights || {};
  const title = highlights.title ? highlighted(highlights.title) : (hit.title || hit.path || "Untitled");
  const snippet = highlights.body ? highlighted(squashHighlight(highlights.body)) : null;
  const where = hit.collection ? `${hit.collection} · ${hit.path}` : hit.path;
  return el("li", { class: "hit page-hit" },
    el("div", { class: "hit-text" },
      el("h3", { class: "hit-title" }, hit.url ? el("a", { href: hit.url }, title) : title),
      el("p", { class: "meta", text: where || "" }),
      snippet ? el("p", { class: "snippet" }, snippet) : null));
}

function quoteHit(hit, state) {
  const highlights = hit.highlights || {};
  const text = highlights.body ? highlighted(squashHighlight(highlights.body)) : squash(hit.text);
  const source = hit.post || {};
  return el("li", { class: "hit quote-hit" },
    el("figure", { class: "quote" },
      el("blockquote", {}, el("p", {}, text)),
      el("figcaption", {},
        hit.attribution ? el("span", { class: "attribution", text: hit.attribution }) : null,
        source.slug ? el("span", { class: "quote-source" }, hit.attribution ? " in " : "From ",
          el("a", { href: postHref(state, source.slug), "data-nav": "", "data-slug": source.slug,
            text: source.title || source.slug })) : null)));
}

// Highlights keep their markup; only the whitespace between words is folded.
function squashHighlight(html) {
  return html.replace(/\s+/g, " ").trim();
}

function readingTime(hit) {
  return Number.isFinite(hit.reading_time) && hit.reading_time > 0
    ? el("span", { class: "reading-time", text: `${hit.reading_time} min read` }) : null;
}

const FACETS = [
  ["category", "Categories"],
  ["author", "Authors"],
  ["year", "Years"],
];

function renderFacets(data, state) {
  const box = $("facets");
  box.replaceChildren();
  const facets = data.facets && typeof data.facets === "object" ? data.facets : {};
  let shown = 0;
  for (const [key, label] of FACETS) {
    const values = Array.isArray(facets[key]) ? facets[key].filter((v) => v && v.value !== undefined) : [];
    const selected = state[key] === null ? null : String(state[key]);
    if (selected && !values.some((v) => String(v.value) === selected)) values.unshift({ value: selected, count: null });
    if (key === "year") values.sort((a, b) => Number(b.value) - Number(a.value));
    if (values.length === 0) continue;
    shown += 1;
    const headingId = `facet-${key}`;
    box.append(el("section", { class: "facet", "aria-labelledby": headingId },
      el("h3", { id: headingId, text: label }),
      el("ul", {}, values.map((v) => facetValue(key, v, selected, state)))));
  }
  document.querySelector(".filters").hidden = shown === 0;
  const active = FACETS.filter(([key]) => state[key] !== null).length;
  document.getElementById("filters-toggle").textContent = active ? `Filters (${active} on)` : "Filters";
}

function facetValue(key, value, selected, state) {
  const id = String(value.value);
  const isOn = selected === id;
  const name = value.name || id;
  const target = withChanges(searchOnly(state), { [key]: isOn ? null : (key === "year" ? Number(id) : id) });
  return el("li", {},
    el("a", {
      class: `facet-value${isOn ? " selected" : ""}`, href: hrefFor(target), "data-nav": "",
      "data-facet": key, "data-value": id, "aria-current": isOn ? "true" : null,
      "aria-label": `${name}${Number.isFinite(value.count) ? `, ${value.count}` : ""}${isOn ? ", selected: remove filter" : ""}`,
    },
    el("span", { class: "facet-name", text: name }),
    Number.isFinite(value.count) ? el("span", { class: "count", "aria-hidden": "true", text: String(value.count) })
      : null));
}

function renderPagination(data, state) {
  const nav = $("pagination");
  nav.replaceChildren();
  const pages = Number.isFinite(data.pages) ? data.pages : 1;
  const current = Number.isFinite(data.page) ? data.page : state.page;
  if (pages <= 1) {
    nav.hidden = true;
    return;
  }
  nav.hidden = false;
  const link = (page, label, rel) => el("a", {
    href: hrefFor({ ...searchOnly(state), page }), "data-nav": "", rel, class: "page-link",
    "aria-label": label === String(page) ? `Page ${page}` : label,
  }, label);
  const items = [];
  if (current > 1) items.push(link(current - 1, "← Previous", "prev"));
  for (const page of pageWindow(current, pages)) {
    if (page === null) items.push(el("span", { class: "gap", "aria-hidden": "true", text: "…" }));
    else if (page === current) {
      items.push(el("span", { class: "page-link current", "aria-current": "page", text: String(page) }));
    } else items.push(link(page, String(page)));
  }
  if (current < pages) items.push(link(current + 1, "Next →", "next"));
  nav.append(el("ul", {}, items.map((item) => el("li", {}, item))));
}

// First, last and the pages around the current one, with gaps (null) between.
function pageWindow(current, pages) {
  const wanted = new Set([1, pages, current - 1, current, current + 1]);
  const sorted = [...wanted].filter((p) => p >= 1 && p <= pages).sort((a, b) => a - b);
  const out = [];
  for (const page of sorted) {
    if (out.length && page - out[out.length - 1] > 1) out.push(null);
    out.push(page);
  }
  return out;
}
