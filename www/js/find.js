// Find a node by name or operator type (Ctrl+F, or / in the graph), as
// Netron does: the box lists the matches best first — operator type,
// then node name, then the names of the values a node reads or writes —
// and choosing one selects the node, opens its details and brings it
// into view.
//
// The box is a combobox over a listbox (aria-activedescendant), so the
// arrow keys walk the matches while typing continues, and the count of
// matches is announced politely.
import { el } from './format.js';

const LIMIT = 100; // matches listed; the count says how many there are

// rank orders how well a node matches a lower-cased query: lower is
// better, Infinity is no match.
function rank(node, q) {
  const op = (node.op || '').toLowerCase();
  const name = (node.name || '').toLowerCase();
  if (op === q) return 0;
  if (name === q) return 1;
  if (name.startsWith(q)) return 2;
  if (op.startsWith(q)) return 3;
  if (name.includes(q)) return 4;
  if (op.includes(q)) return 5;
  const ports = [...(node.inputs || []), ...(node.outputs || [])];
  if (ports.some((p) => (p.name || '').toLowerCase().includes(q))) return 6;
  return Infinity;
}

/** matchNodes returns the ids of the nodes matching query, best first, and how many match. */
export function matchNodes(nodes, query, limit = LIMIT) {
  const q = query.trim().toLowerCase();
  if (!q) return { ids: [], total: 0 };
  const hits = [];
  nodes.forEach((node, id) => {
    const r = rank(node, q);
    if (r !== Infinity) hits.push({ id, r });
  });
  hits.sort((a, b) => a.r - b.r || a.id - b.id);
  return { ids: hits.slice(0, limit).map((h) => h.id), total: hits.length };
}

export class NodeFinder {
  constructor(input, list, status, { nodes, choose }) {
    this.input = input;
    this.list = list;
    this.status = status;
    this.nodes = nodes; // () => the open graph's nodes, or null
    this.choose = choose; // (id) => select and show the node
    this.ids = [];
    this.active = -1;
    input.addEventListener('input', () => this.update());
    input.addEventListener('keydown', (e) => this.onKey(e));
    // Closing waits a moment on blur so that a click on a match lands
    // first; if focus has come back by then (Ctrl+F, then typing), the
    // list the user is looking at stays open.
    input.addEventListener('blur', () => setTimeout(() => {
      if (document.activeElement !== input) this.close();
    }, 150));
    list.addEventListener('mousedown', (e) => e.preventDefault()); // keep focus in the box
    list.addEventListener('click', (e) => {
      const li = e.target.closest('[role=option]');
      if (li) this.pick(Number(li.dataset.id));
    });
  }

  /** reset empties the box (a new model is open). */
  reset() {
    this.input.value = '';
    this.update();
  }

  focus() {
    this.input.focus();
    this.input.select();
    if (this.input.value) this.update();
  }

  update() {
    const nodes = this.nodes() || [];
    const { ids, total } = matchNodes(nodes, this.input.value);
    this.ids = ids;
    this.active = ids.length ? 0 : -1;
    this.list.replaceChildren(...ids.map((id, i) => {
      const n = nodes[id];
      return el('li', { role: 'option', id: `find-option-${i}`, dataset: { id: String(id) }, 'aria-selected': String(i === this.active) },
        el('span', { className: 'find-op' }, n.op || n.kind), ' ', el('span', { className: 'find-name' }, n.name || '(unnamed)'));
    }));
    const open = ids.length > 0;
    this.list.hidden = !open;
    this.input.setAttribute('aria-expanded', String(open));
    this.markActive();
    const q = this.input.value.trim();
    if (!q) this.status.textContent = '';
    else if (total === 0) this.status.textContent = `No node matches “${q}”`;
    else this.status.textContent = `${total.toLocaleString('en-US')} ${total === 1 ? 'node matches' : 'nodes match'}${total > ids.length ? ` (first ${ids.length} listed)` : ''}`;
  }

  markActive() {
    for (const [i, li] of [...this.list.children].entries()) {
      const on = i === this.active;
      li.setAttribute('aria-selected', String(on));
      li.classList.toggle('active', on);
      if (on) li.scrollIntoView({ block: 'nearest' });
    }
    if (this.active >= 0) this.input.setAttribute('aria-activedescendant', `find-option-${this.active}`);
    else this.input.removeAttribute('aria-activedescendant');
  }

  onKey(e) {
    const n = this.ids.length;
    if (e.key === 'ArrowDown' && n) {
      this.active = (this.active + 1) % n;
    } else if (e.key === 'ArrowUp' && n) {
      this.active = (this.active - 1 + n) % n;
    } else if (e.key === 'Enter') {
      if (this.active >= 0) this.pick(this.ids[this.active]);
    } else if (e.key === 'Escape') {
      if (this.input.value) this.reset();
      else this.input.blur();
    } else {
      return;
    }
    e.preventDefault();
    e.stopPropagation(); // the page's own Escape (close the sidebar) is not for this
    this.markActive();
  }

  pick(id) {
    this.close();
    this.choose(id);
  }

  close() {
    this.list.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
  }
}
