// Roving tabindex for composite widgets (a toolbar, a tab list): the
// group is one Tab stop, and the arrow keys, Home and End move between its
// items, as the WAI-ARIA authoring practices describe. The item last
// moved to keeps tabindex 0, so Tab returns to it.

/**
 * roving wires arrow-key navigation into a group.
 * @param {HTMLElement} group the element with role=toolbar or role=tablist
 * @param {object} o
 * @param {() => HTMLElement[]} o.items the items, in order
 * @param {(item: HTMLElement) => void} [o.onMove] called after focus moves to an item (a tab list selects it)
 */
export function roving(group, { items, onMove }) {
  group.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const list = items().filter((item) => !item.disabled && !item.hidden);
    const at = list.indexOf(e.target);
    if (at < 0) return;
    const next = {
      ArrowRight: (at + 1) % list.length,
      ArrowLeft: (at - 1 + list.length) % list.length,
      Home: 0,
      End: list.length - 1,
    }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    focusItem(items(), list[next]);
    onMove?.(list[next]);
  });
  // A click (or any focus) makes the item the group's Tab stop too.
  group.addEventListener('focusin', (e) => {
    if (items().includes(e.target)) setTabStop(items(), e.target);
  });
}

/** setTabStop makes item the only one of items reached by Tab. */
export function setTabStop(items, item) {
  for (const other of items) other.tabIndex = other === item ? 0 : -1;
}

function focusItem(items, item) {
  setTabStop(items, item);
  item.focus();
}
