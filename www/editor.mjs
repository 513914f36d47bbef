// The input box: a plain <textarea> over a backdrop that repeats its lines, so that a line can be marked
// (bad lines in red with the reason just after their text, which the transparent textarea lets through)
// without giving up the textarea's native editing. A gutter shows line numbers and each line's frame.
//
// Only the lines in view (and some either side) are drawn, so pasting thousands of lines stays quick.
import { esc } from './hexdump.mjs';
import { pieces } from './tagged.mjs';

/** Lines drawn above and below the visible ones. */
const OVERSCAN = 40;

export class LineEditor {
  #lines = [];
  #drawn = null; // [first, last) of the lines in the backdrop

  /** @param {HTMLElement} root an element holding .gutter-lines (in a clipping .gutter), .backdrop and textarea */
  constructor(root) {
    this.root = root;
    this.textarea = root.querySelector('textarea');
    this.backdrop = root.querySelector('.backdrop');
    this.gutter = root.querySelector('.gutter-lines');
    this.textarea.addEventListener('scroll', () => this.#sync());
  }

  get value() {
    return this.textarea.value;
  }

  set value(text) {
    this.textarea.value = text;
  }

  /** Scrolls to the end (for a live stream). */
  scrollToEnd() {
    this.textarea.scrollTop = this.textarea.scrollHeight;
    this.#sync();
  }

  /**
   * Marks the lines.
   * @param {Array<{ text, blank?, error?, frame? }>} lines as encodeText returns them
   */
  mark(lines) {
    this.#lines = lines;
    this.#drawn = null;
    this.#sync();
  }

  #lineHeight() {
    return parseFloat(getComputedStyle(this.textarea).lineHeight) || 20;
  }

  // Draws the lines around the view (when they changed) and moves both layers with the textarea's scroll.
  #sync() {
    const { scrollTop, scrollLeft, clientHeight } = this.textarea;
    const lh = this.#lineHeight();
    const n = this.#lines.length;
    const first = Math.max(0, Math.floor(scrollTop / lh) - OVERSCAN);
    const last = Math.min(n, Math.ceil((scrollTop + clientHeight) / lh) + OVERSCAN);
    if (!this.#drawn || this.#drawn[0] !== first || this.#drawn[1] !== last) {
      this.#draw(first, last, lh);
      this.#drawn = [first, last];
    }
    this.backdrop.style.transform = `translate(${-scrollLeft}px, ${-scrollTop}px)`;
    this.gutter.style.transform = `translateY(${-scrollTop}px)`;
  }

  #draw(first, last, lh) {
    const back = [];
    const gut = [];
    for (let i = first; i < last; i++) {
      const l = this.#lines[i];
      const n = i + 1;
      if (l.error !== undefined) {
        back.push(`<div class="line bad" data-line="${n}"><span class="txt">${esc(l.text)}</span><span class="msg">${esc(l.error)}</span></div>`);
        gut.push(`<div class="g bad" title="not encoded">${n}<span class="chip x">✕</span></div>`);
      } else if (l.frame !== undefined) {
        back.push(`<div class="line" data-line="${n}" data-frame="${l.frame + 1}"><span class="txt">${lineHtml(l)}</span>${storedHtml(l)}</div>`);
        gut.push(`<div class="g">${n}<span class="chip f${l.frame % 6}" title="in frame ${l.frame + 1}">${l.frame + 1}</span></div>`);
      } else {
        back.push(`<div class="line" data-line="${n}"><span class="txt">${esc(l.text)}</span></div>`);
        gut.push(`<div class="g">${n}<span class="chip"></span></div>`);
      }
    }
    this.backdrop.innerHTML = back.join('');
    this.gutter.innerHTML = gut.join('');
    // The lines above the drawn ones, as space (set through the CSSOM: the page's CSP refuses style attributes).
    const pad = `${first * lh}px`;
    this.backdrop.firstElementChild?.style.setProperty('margin-top', pad);
    this.gutter.firstElementChild?.style.setProperty('margin-top', pad);
  }
}

/** Spans of a path's pieces (name, tags, values, punctuation), classed for colour. */
export function piecesHtml(path) {
  return pieces(path)
    .map((p) => `<span class="p-${p.kind}">${esc(p.text)}</span>`)
    .join('');
}

// An encoded line: a tagged path's name, tags and values get their colours (behind the textarea's text);
// the path is found as the line's first field, and only if it is the path the reader took.
function lineHtml(l) {
  if (l.stored === undefined) return esc(l.text);
  const m = /^(\s*)(\S+)([\s\S]*)$/.exec(l.text);
  if (!m || m[2] !== l.point?.path) return esc(l.text);
  return `${esc(m[1])}<span class="path">${piecesHtml(m[2])}</span>${esc(m[3])}`;
}

// After a tagged line: the name carbon stores for it, coloured the same way.
function storedHtml(l) {
  if (l.stored === undefined) return '';
  return `<span class="stored" title="the series as carbon stores it (canonical: tags sorted)">${piecesHtml(l.stored)}</span>`;
}
