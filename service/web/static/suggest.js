// The suggestion list under the search box: an ARIA combobox driven by /api/search/suggest.

import { el } from "./dom.js";

const DELAY_MS = 120;

/** Wire the input and its listbox; `onPick(item)` runs when a suggestion is chosen. */
export function setupSuggestions(input, listbox, { fetchSuggestions, onPick }) {
  let items = [];
  let active = -1;
  let timer = null;
  let generation = 0; // answers to older requests are dropped
  let controller = null;

  function close() {
    generation += 1;
    clearTimeout(timer);
    if (controller) controller.abort();
    items = [];
    active = -1;
    listbox.replaceChildren();
    delete listbox.dataset.query;
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function show(found, q) {
    items = found;
    active = -1;
    listbox.dataset.query = q; // what the list answers: a slow typist's earlier prefix may have shown first
    listbox.replaceChildren(...items.map((item, i) => el("li", {
      id: `suggestion-${i}`, role: "option", "aria-selected": "false", class: `suggestion kind-${item.kind}`,
      "data-index": String(i),
    }, el("span", { class: "suggestion-text", text: item.text }),
    item.kind === "title" ? el("span", { class: "suggestion-kind", text: "post" }) : null)));
    const open = items.length > 0;
    listbox.hidden = !open;
    input.setAttribute("aria-expanded", open ? "true" : "false");
    input.removeAttribute("aria-activedescendant");
  }

  function move(step) {
    if (items.length === 0) return;
    // Positions run -1 (the text typed) to the last option, wrapping at both ends.
    active += step;
    if (active >= items.length) active = -1;
    if (active < -1) active = items.length - 1;
    for (const [i, option] of [...listbox.children].entries()) {
      option.setAttribute("aria-selected", i === active ? "true" : "false");
    }
    if (active >= 0) {
      input.setAttribute("aria-activedescendant", `suggestion-${active}`);
      listbox.children[active].scrollIntoView({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  }

  function pick(index) {
    const item = items[index];
    close();
    if (item) onPick(item);
  }

  function request() {
    const q = input.value;
    if (!q.trim()) {
      close();
      return;
    }
    generation += 1;
    const mine = generation;
    if (controller) controller.abort();
    controller = new AbortController();
    fetchSuggestions(q, { signal: controller.signal })
      .then((data) => {
        if (mine !== generation || document.activeElement !== input) return;
        const found = Array.isArray(data.items) ? data.items.filter((s) => s && typeof s.text === "string") : [];
        // A suggestion equal to what is typed adds nothing.
        show(found.filter((s) => s.text.toLowerCase() !== lastWord(q).toLowerCase() || s.kind === "title"), q);
      })
      .catch((error) => {
        if (error.name !== "AbortError" && mine === generation) close();
      });
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(request, DELAY_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (items.length === 0) return;
      event.preventDefault();
      move(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter") {
      if (active >= 0) {
        event.preventDefault();
        pick(active);
      } else close();
    } else if (event.key === "Escape") {
      if (!listbox.hidden) {
        event.preventDefault();
        close();
      }
    } else if (event.key === "Tab") close();
  });
  input.addEventListener("blur", () => close());
  // Keep focus in the input while the pointer picks an option.
  listbox.addEventListener("mousedown", (event) => event.preventDefault());
  listbox.addEventListener("click", (event) => {
    const option = event.target.closest("[role=option]");
    if (option) pick(Number(option.dataset.index));
  });
  return { close };
}

/** The word being typed: the one a term suggestion completes. */
export function lastWord(q) {
  const words = q.trim().split(/\s+/);
  return words[words.length - 1] || "";
}

/** The query after choosing a term suggestion: the last word completed, the earlier ones kept. */
export function completeQuery(q, text) {
  const trimmed = q.trim();
  if (text.toLowerCase().startsWith(trimmed.toLowerCase())) return text;
  const words = trimmed.split(/\s+/);
  words[words.length - 1] = text;
  return words.join(" ");
}
