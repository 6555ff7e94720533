// The post view: one post in full, its quotes, related posts and its neighbours.

import { categoryList, el, imageEl, srcsetOf, timeEl } from "./dom.js";
import { hrefFor, postKey, searchOnly, withChanges } from "./state.js";

const BLOCKED = new Set(["SCRIPT", "STYLE", "IFRAME", "OBJECT", "EMBED", "FORM", "BASE", "META", "LINK"]);

/**
 * Parse the post's HTML (sanitised by the server) inertly and strip anything active as a second line of defence,
 * then hand back its nodes. Images keep the paths the author wrote (relative to the blog), so each is pointed at
 * the URL the API gives for it in `images`, with its dimensions when known.
 */
export function postBody(html, images = []) {
  const known = new Map((Array.isArray(images) ? images : []).filter((i) => i && i.src && i.url).map((i) => [i.src, i]));
  const doc = new DOMParser().parseFromString(`<body>${typeof html === "string" ? html : ""}</body>`, "text/html");
  for (const node of [...doc.body.querySelectorAll("*")]) {
    if (BLOCKED.has(node.nodeName)) {
      node.remove();
      continue;
    }
    for (const attr of [...node.attributes]) {
      const name = attr.name.toLowerCase();
      const unsafeUrl = (name === "href" || name === "src") && /^\s*(javascript|vbscript|data):/i.test(attr.value)
        && !(name === "src" && /^\s*data:image\//i.test(attr.value));
      if (name.startsWith("on") || name === "style" || unsafeUrl) node.removeAttribute(attr.name);
    }
    if (node.nodeName === "IMG") {
      pointAt(node, known.get(node.getAttribute("src")));
      node.setAttribute("loading", "lazy");
      node.setAttribute("decoding", "async");
    }
  }
  const fragment = document.createDocumentFragment();
  fragment.append(...doc.body.childNodes);
  return fragment;
}

function pointAt(img, image) {
  if (!image) return;
  img.setAttribute("src", image.url);
  if (Number.isFinite(image.width) && Number.isFinite(image.height)) {
    img.setAttribute("width", String(image.width));
    img.setAttribute("height", String(image.height));
  }
  const srcset = srcsetOf(image);
  if (srcset) {
    img.setAttribute("srcset", srcset);
    img.setAttribute("sizes", "(max-width: 760px) 100vw, 700px");
  }
}

/** Draw the post, leaving slots for related posts that arrive later. */
export function renderPost(container, post, state, { backHref }) {
  const categories = categoryList(post.categories,
    (slug) => hrefFor(withChanges(searchOnly(state), { category: slug, q: "" })));
  const hero = imageEl(post.image, { className: "hero-image", sizes: "(max-width: 760px) 100vw, 720px",
    loading: "eager" });
  const quotes = Array.isArray(post.quotes) ? post.quotes.filter((q) => q && q.text) : [];
  container.replaceChildren(
    el("p", { class: "back" }, el("a", { href: backHref, "data-nav": "back", text: "← Back to results" })),
    el("header", { class: "post-header" },
      el("h1", { id: "post-title", tabindex: "-1", text: post.title || post.slug }),
      el("p", { class: "meta" }, timeEl(post.date),
        Number.isFinite(post.reading_time) && post.reading_time > 0
          ? el("span", { class: "reading-time", text: `${post.reading_time} min read` }) : null),
      categories),
    hero ? el("figure", { class: "hero" }, hero,
      post.image.title ? el("figcaption", { text: post.image.title }) : null) : null,
    el("div", { class: "post-body" }, postBody(post.html, post.images)),
    quotes.length ? quoteSection(quotes) : null,
    el("section", { id: "related", class: "related", "aria-labelledby": "related-heading", hidden: true }),
    neighbours(post, state),
  );
}

function quoteSection(quotes) {
  return el("section", { class: "post-quotes", "aria-labelledby": "quotes-heading" },
    el("h2", { id: "quotes-heading", text: quotes.length === 1 ? "Quoted in this post" : "Quotes in this post" }),
    el("ul", {}, quotes.map((quote) => el("li", {},
      el("figure", { class: "quote" },
        el("blockquote", {}, el("p", { text: quote.text })),
        quote.attribution ? el("figcaption", {}, el("span", { class: "attribution", text: quote.attribution }))
          : null)))));
}

function neighbours(post, state) {
  const link = (other, rel, label) => other && other.slug ? el("a", {
    href: hrefFor({ ...state, post: postKey(other) }), "data-nav": "", rel, class: `neighbour ${rel}`,
  }, el("span", { class: "neighbour-label", text: label }), el("span", { class: "neighbour-title",
    text: other.title || other.slug })) : el("span");
  if (!(post.prev && post.prev.slug) && !(post.next && post.next.slug)) return null;
  return el("nav", { class: "prev-next", "aria-label": "Older and newer posts" },
    link(post.prev, "prev", "← Older"), link(post.next, "next", "Newer →"));
}

/** Fill the related-posts slot once they arrive; nothing is shown when there are none. */
export function renderRelated(items, state) {
  const section = document.getElementById("related");
  if (!section) return;
  const posts = Array.isArray(items) ? items.filter((p) => p && p.slug) : [];
  if (posts.length === 0) return;
  section.replaceChildren(
    el("h2", { id: "related-heading", text: "Related posts" }),
    el("ul", {}, posts.map((p) => el("li", { class: "related-item" },
      imageEl(p.image, { className: "related-image", sizes: "96px", decorative: true }),
      el("div", {},
        el("a", { href: hrefFor({ ...state, post: postKey(p) }), "data-nav": "", text: p.title || p.slug }),
        el("p", { class: "meta" }, timeEl(p.date)))))));
  section.hidden = false;
}

/** Say that a post could not be shown, with a way back. */
export function renderPostError(container, message, backHref) {
  container.replaceChildren(
    el("p", { class: "back" }, el("a", { href: backHref, "data-nav": "back", text: "← Back to results" })),
    el("h1", { id: "post-title", tabindex: "-1", text: "Post not available" }),
    el("p", { class: "error", text: message }));
}
