// Safe DOM building: API text goes in as text nodes; only <mark> survives from highlights.

/** Create an element with attributes and children (strings become text nodes, never HTML). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

/** Append children, flattening arrays and skipping empty values. */
export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === "") continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * Turn a server highlight ("escaped text with <mark>words</mark>") into DOM nodes.
 * The string is parsed inertly (DOMParser runs no scripts and loads nothing), then rebuilt from text:
 * anything that is not a <mark> becomes plain text, so nothing else the string might hold can reach the page.
 */
export function highlighted(html) {
  const fragment = document.createDocumentFragment();
  if (typeof html !== "string" || html === "") return fragment;
  const body = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html").body;
  for (const node of body.childNodes) {
    if (node.nodeType === Node.ELEMENT_NODE && node.nodeName === "MARK") {
      fragment.append(el("mark", { text: node.textContent }));
    } else {
      fragment.append(document.createTextNode(node.textContent));
    }
  }
  return fragment;
}

/** Read the calendar date as the post states it (its own offset), formatted for people. */
export function formatDate(iso) {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
  if (!match) return "";
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" })
    .format(date);
}

/** A <time> element for an ISO date, or nothing when the date is missing. */
export function timeEl(iso) {
  const text = formatDate(iso);
  return text ? el("time", { datetime: iso, text }) : null;
}

/** Collapse runs of whitespace (snippets span paragraphs) into single spaces. */
export function squash(text) {
  return typeof text === "string" ? text.replace(/\s+/g, " ").trim() : "";
}

/** Keep only data: image URIs as placeholders: they are drawn behind the image while it loads. */
export function placeholderUrl(image) {
  const value = image && image.placeholder;
  return typeof value === "string" && /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$/.test(value)
    ? value : null;
}

/** Build a srcset string from either a ready string or a list of {url, width}. */
export function srcsetOf(image) {
  const value = image && image.srcset;
  if (typeof value === "string") return value;
  if (!Array.isArray(value)) return null;
  const parts = value.filter((v) => v && typeof v.url === "string" && Number.isFinite(v.width))
    .map((v) => `${encodeURI(decodeURI(v.url))} ${v.width}w`);
  return parts.length ? parts.join(", ") : null;
}

/** An <img> for an API image object, with dimensions and placeholder when the API gives them. */
export function imageEl(image, { className, sizes, loading = "lazy", decorative = false } = {}) {
  if (!image || typeof image.url !== "string" || image.url === "") return null;
  const img = el("img", {
    src: image.url,
    alt: decorative ? "" : (image.alt || ""),
    class: className,
    loading,
    decoding: "async",
    width: Number.isFinite(image.width) ? image.width : null,
    height: Number.isFinite(image.height) ? image.height : null,
  });
  const srcset = srcsetOf(image);
  if (srcset) {
    img.srcset = srcset;
    if (sizes) img.sizes = sizes;
  }
  const placeholder = placeholderUrl(image);
  if (placeholder) {
    img.style.backgroundImage = `url("${placeholder}")`;
    img.classList.add("has-placeholder");
    img.addEventListener("load", () => { img.style.backgroundImage = ""; }, { once: true });
  }
  img.addEventListener("error", () => img.classList.add("broken"), { once: true });
  return img;
}

/** Category chips as links that filter the search by that category. */
export function categoryList(categories, hrefFor) {
  if (!Array.isArray(categories) || categories.length === 0) return null;
  return el("ul", { class: "chips", "aria-label": "Categories" },
    categories.filter((c) => c && c.slug).map((c) =>
      el("li", {}, el("a", { class: "chip", href: hrefFor(c.slug), "data-nav": "", text: c.name || c.slug }))));
}
