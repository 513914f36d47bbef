// The input box: a plain <textarea> over a backdrop that repeats its lines, so that a line can be marked
// (bad lines in red with the reason just after their text, which the transparent textarea lets through)
// without giving up the textarea's native editing. A gutter shows line numbers and each line's frame.
import { esc } from './hexdump.mjs';

export class LineEditor {
  /** @param {HTMLElement} root an element holding .gutter, .backdrop and textarea */
  constructor(root) {
    this.root = root;
    this.textarea = root.querySelector('textarea');
    this.backdrop = root.querySelector('.backdrop');
    this.gutter = root.querySelector('.gutter');
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
    const back = [];
    const gut = [];
    lines.forEach((l, i) => {
      const n = i + 1;
      if (l.error !== undefined) {
        back.push(`<div class="line bad" data-line="${n}"><span class="txt">${esc(l.text)}</span><span class="msg">${esc(l.error)}</span></div>`);
        gut.push(`<div class="g bad" title="not encoded">${n}<span class="chip x">✕</span></div>`);
      } else if (l.frame !== undefined) {
        back.push(`<div class="line" data-line="${n}" data-frame="${l.frame + 1}"><span class="txt">${esc(l.text)}</span></div>`);
        gut.push(`<div class="g">${n}<span class="chip f${l.frame % 6}" title="in frame ${l.frame + 1}">${l.frame + 1}</span></div>`);
      } else {
        back.push(`<div class="line" data-line="${n}"><span class="txt">${esc(l.text)}</span></div>`);
        gut.push(`<div class="g">${n}<span class="chip"></span></div>`);
      }
    });
    // A trailing newline leaves an empty last line in the textarea: keep the gutter as tall.
    this.backdrop.innerHTML = back.join('');
    this.gutter.innerHTML = gut.join('');
    this.#sync();
  }

  #sync() {
    const { scrollTop, scrollLeft } = this.textarea;
    this.backdrop.style.transform = `translate(${-scrollLeft}px, ${-scrollTop}px)`;
    this.gutter.style.transform = `translateY(${-scrollTop}px)`;
  }
}
