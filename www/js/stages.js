// The workspace's stage tabs (Graph, Evaluate, and the coming Fine-tune,
// Prune and Quantize): a tab button in the header's tab list and a panel
// in the workspace, kept in order, one selected at a time. The tab list is
// one Tab stop (roving tabindex; arrows, Home and End select). A stage
// added by addStage needs nothing else from the page's controller:
//
//   stages.addStage({ name: 'prune', label: 'Prune', build: (panel) => { ... } });
import { roving, setTabStop } from './roving.js';

export class Stages {
  /**
   * @param {HTMLElement} tablist the element with role=tablist
   * @param {HTMLElement} workspace where new panels go (before its sidebar)
   * @param {(name: string) => void} [onSelect] called after a stage is selected
   */
  constructor(tablist, workspace, onSelect) {
    this.tablist = tablist;
    this.workspace = workspace;
    this.onSelect = onSelect;
    this.list = []; // {name, tab, panel}
    roving(tablist, { items: () => this.tabs(), onMove: (tab) => this.select(tab.dataset.stage) });
  }

  /** adopt registers a stage whose tab and panel are in the page already. */
  adopt(name, tab, panel) {
    tab.dataset.stage = name;
    tab.addEventListener('click', () => this.select(name));
    this.list.push({ name, tab, panel });
  }

  /**
   * addStage creates a stage's tab and panel; build fills the panel once.
   * @param {{name: string, label: string, build: (panel: HTMLElement) => void, title?: string}} s
   * @returns {HTMLElement} the panel
   */
  addStage({ name, label, build, title }) {
    if (this.list.some((s) => s.name === name)) throw new Error(`stage ${name} exists`);
    const tab = document.createElement('button');
    Object.assign(tab, { id: `tab-${name}`, type: 'button', textContent: label, tabIndex: -1 });
    tab.setAttribute('role', 'tab');
    tab.setAttribute('aria-controls', `view-${name}`);
    tab.setAttribute('aria-selected', 'false');
    if (title) tab.title = title;
    tab.disabled = this.list.length > 0 && this.list[0].tab.disabled;
    this.tablist.append(tab);
    const panel = document.createElement('section');
    Object.assign(panel, { id: `view-${name}`, className: 'view', hidden: true });
    panel.setAttribute('role', 'tabpanel');
    panel.setAttribute('aria-labelledby', tab.id);
    const before = this.workspace.querySelector('.sidebar');
    this.workspace.insertBefore(panel, before);
    build(panel);
    this.adopt(name, tab, panel);
    return panel;
  }

  /** tabs are the tab buttons in order. */
  tabs() { return this.list.map((s) => s.tab); }

  /** enable makes every tab usable (once a model is open). */
  enable(on = true) { for (const s of this.list) s.tab.disabled = !on; }

  /** select shows stage name's panel. */
  select(name) {
    const stage = this.list.find((s) => s.name === name);
    if (!stage) return;
    for (const s of this.list) {
      s.tab.setAttribute('aria-selected', String(s === stage));
      s.panel.hidden = s !== stage;
    }
    setTabStop(this.tabs(), stage.tab);
    this.onSelect?.(name);
  }

  /** selected is the name of the stage shown. */
  get selected() { return this.list.find((s) => !s.panel.hidden)?.name; }
}
