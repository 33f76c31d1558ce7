// The pattern terms explained on hover and on keyboard focus (docs/lessons.md, "Glossary").
// The entries come from patterns/glossary.json through the run page's boot, in both languages;
// a term found in a text is wrapped in a focusable span, and one shared tooltip says what it
// means in the page's language. Text is only ever split into text nodes and spans: nothing
// from the data is parsed as markup.

import { h } from "./dom.js";

const HANGUL = /[\u3131-\u318e\uac00-\ud7a3]/;
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export class Glossary {
  constructor(entries, language, tip) {
    this.language = language === "ko" ? "ko" : "en";
    this.tip = tip;
    this.byTerm = new Map(); // lower-cased term -> entry
    const alternatives = [];
    for (const entry of entries || []) {
      for (const lang of ["en", "ko"]) {
        for (const term of entry[lang]?.terms || []) {
          const key = term.toLowerCase();
          if (this.byTerm.has(key)) continue;
          this.byTerm.set(key, entry);
          // A Korean term takes its particles after it (병목이, 사가를) but must start a word
          // (not the 사가 of 조사가); an English one is a whole word, maybe plural.
          alternatives.push([term.length, HANGUL.test(term)
            ? `(?<![\\p{L}])${escape(term)}`
            : `(?<![\\p{L}\\p{N}])${escape(term)}(?:e?s)?(?![\\p{L}\\p{N}])`]);
        }
      }
    }
    alternatives.sort((a, b) => b[0] - a[0]); // the longest first: "message broker" before "broker"
    this.pattern = alternatives.length ? new RegExp(alternatives.map((a) => a[1]).join("|"), "giu") : null;
    if (tip) this.listen();
  }

  entryOf(text) {
    const key = text.toLowerCase();
    return this.byTerm.get(key) || this.byTerm.get(key.replace(/es$/, "")) || this.byTerm.get(key.replace(/s$/, ""));
  }

  // Wrap every term in the text under `root` (once: terms already wrapped are left alone).
  mark(root) {
    if (!root || !this.pattern) return;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) => (node.parentElement?.closest(".term, script, style, button, select, option, input, textarea") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
    });
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    for (const node of nodes) this.markText(node);
  }

  markText(node) {
    const text = node.nodeValue;
    this.pattern.lastIndex = 0;
    const parts = [];
    let last = 0;
    for (let m = this.pattern.exec(text); m; m = this.pattern.exec(text)) {
      const entry = this.entryOf(m[0]);
      if (!entry) continue;
      let end = m.index + m[0].length;
      // "스티키 세션(sticky session)": the English term beside the Korean one is the same term.
      const beside = /^\s?\(([^()]{1,40})\)/.exec(text.slice(end));
      if (beside && this.entryOf(beside[1].trim()) === entry) end += beside[0].length;
      parts.push(text.slice(last, m.index));
      parts.push(h("span", { class: "term", tabindex: "0", "data-term": entry.id }, text.slice(m.index, end)));
      last = end;
      this.pattern.lastIndex = end;
    }
    if (!parts.length) return;
    parts.push(text.slice(last));
    node.replaceWith(...parts.filter((p) => p !== ""));
  }

  entryById(id) {
    for (const entry of this.byTerm.values()) if (entry.id === id) return entry;
    return null;
  }

  show(span) {
    const entry = this.entryById(span.dataset.term);
    if (!entry) return;
    const own = entry[this.language], en = entry.en;
    const title = this.language === "ko" ? `${own.terms[0]} (${en.terms[0]})` : en.terms[0];
    this.tip.replaceChildren(h("strong", {}, title), " ", own.text);
    this.tip.hidden = false;
    span.setAttribute("aria-describedby", this.tip.id);
    const box = span.getBoundingClientRect();
    const width = Math.min(340, window.innerWidth - 16);
    this.tip.style.width = `${width}px`;
    const left = Math.max(8, Math.min(window.innerWidth - width - 8, box.left));
    const below = box.bottom + 6, height = this.tip.offsetHeight;
    const top = below + height > window.innerHeight - 8 ? box.top - height - 6 : below;
    this.tip.style.left = `${left}px`;
    this.tip.style.top = `${Math.max(8, top)}px`;
    this.current = span;
  }

  hide() {
    if (this.current) this.current.removeAttribute("aria-describedby");
    this.current = null;
    this.tip.hidden = true;
  }

  listen() {
    const over = (ev) => { const span = ev.target.closest?.(".term"); if (span) this.show(span); };
    const out = (ev) => { if (ev.target.closest?.(".term") && !ev.relatedTarget?.closest?.(".term")) this.hide(); };
    document.addEventListener("mouseover", over);
    document.addEventListener("focusin", over);
    document.addEventListener("mouseout", out);
    document.addEventListener("focusout", out);
    document.addEventListener("keydown", (ev) => { if (ev.key === "Escape" && this.current) this.hide(); }, true);
  }
}
