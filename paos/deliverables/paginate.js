// Lays a printed deck out into sheets of one page each, so that every printed page
// is headed by an action title. paos's own script, run by `paos.deliverables._browser`
// before printing (never a script of the document: the deck holds none).
//
// The flow of main.report is moved, block by block, into <div class="sheet">
// elements no higher than the page (`height`, a CSS length). A block that does not
// fit on the sheet starts the next one; a block too big for a sheet is split
// between its children (tables keep their head). An item is an element with a
// data-continued attribute: a sheet may start before it (`forced`), and it moves
// whole rather than leave nothing on a sheet. A sheet that starts inside a section
// is headed by the title of the item it starts with (its data-continued, derived by
// rule in paos.deliverables.titles, when the item is what the sheet proves: a
// dimension's table), or, for an item without a title of its own (an empty
// data-continued: one of a list, such as an appendix's gaps), or starting inside an
// item or a section, by that item's or section's title and "(continued)"; a sheet
// holding several items that carry their groups' titles (data-groups: the
// dimensions' tables) by the title of the group it holds (`retitle`).
// A heading is never left at the foot of a sheet.
// No near-empty sheet: when the last sheet of a section that runs over several (or
// a sheet of one-line notes after it) is filled less than `minFill` of the page (a
// short tail), the section is set tight
// (section.tight in board.css: smaller type and padding; then .tighter) and the
// deck laid out again from its original flow; a tail that still does not go back
// gets more: its sheet starts before an earlier item of the section, when that
// leaves both sheets filled at least `minFill`.
// Returns the number of sheets (0: nothing to lay out).
(height, minFill = 0.4) => {
  const main = document.querySelector("main.report");
  if (!main || !main.querySelector("section.page")) return 0;
  const probe = document.createElement("div");
  probe.style.height = height;
  document.body.appendChild(probe);
  const H = probe.getBoundingClientRect().height;
  probe.remove();

  const HEADS = new Set(["H2", "H3", "H4"]);
  const SPLIT = new Set(["SECTION", "DIV", "TABLE", "TBODY", "UL", "OL", "DL", "NAV", "BLOCKQUOTE"]);
  const isHead = (el) => HEADS.has(el.tagName) || el.classList.contains("kicker") ||
    el.classList.contains("appendix-mark");
  const splittable = (el) =>
    SPLIT.has(el.tagName) && el.children.length > 1 &&
    !Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
  const avoid = (el) => getComputedStyle(el).breakInside === "avoid";

  for (const section of main.querySelectorAll("section")) {
    const h = section.querySelector(":scope > h2");
    if (h && !section.dataset.title) section.dataset.title = h.textContent.trim();
  }
  // every item (an element with its own continuation title) numbered, so that a
  // layout can start a sheet before it (`forced`)
  main.querySelectorAll("[data-continued]").forEach((el, i) => { el.dataset.pid = String(i); });
  const forced = new Set();
  const original = Array.from(main.children).map((el) => el.cloneNode(true));
  main.classList.add("paginated");
  let sheet = null;
  let fresh = true; // the sheet holds nothing but its heading
  const newSheet = () => {
    sheet = document.createElement("div");
    sheet.className = "sheet";
    main.appendChild(sheet);
    fresh = true;
  };
  // A continued sheet holding the whole or the rest of items that carry the titles
  // of their groups (data-groups: a dimension's table, whose entry k titles a sheet
  // holding it and the k+1 next ones, derived by rule in paos.deliverables.titles)
  // is titled after all of them, marked continued when the first began on an
  // earlier sheet; any other keeps the title it was opened with.
  const retitle = (s) => {
    const head = s.querySelector(":scope > .continued > h2");
    if (!head) return;
    const seen = new Set();
    const items = Array.from(s.querySelectorAll("[data-groups]")).filter((el) =>
      !seen.has(el.dataset.pid) && seen.add(el.dataset.pid));
    let title = head.dataset.opened;
    if (items.length) {
      const first = items[0];
      const groups = JSON.parse(first.dataset.groups);
      title = items.length === 1 ? first.dataset.continued : groups[items.length - 2];
      if (main.querySelector(`[data-pid="${first.dataset.pid}"]`) !== first) {
        title += " (continued)";
      }
    }
    if (head.textContent !== title) head.textContent = title;
  };
  const fits = () => {
    retitle(sheet);
    return sheet.getBoundingClientRect().height <= H;
  };

  // The title for a sheet that starts with `el` inside the open ancestors `path`
  // (originals, outermost first).
  const titleFor = (el, path) => {
    if (el.dataset && el.dataset.continued) return el.dataset.continued;
    for (let i = path.length - 1; i >= 0; i--) {
      const c = path[i].dataset.continued;
      if (c) return c + " (continued)";
      if (path[i].dataset.title) return path[i].dataset.title + " (continued)";
    }
    return "";
  };

  // Open a new sheet below the ancestors `path`, headed for `el`; returns the
  // clones of the ancestors on it (tables with their head again).
  const breakBefore = (el, path) => {
    newSheet();
    const title = titleFor(el, path);
    if (title) {
      const head = document.createElement("div");
      head.className = "continued";
      const h2 = document.createElement("h2");
      h2.textContent = title;
      h2.dataset.opened = title;
      head.appendChild(h2);
      sheet.appendChild(head);
    }
    let parent = sheet;
    return path.map((orig) => {
      const clone = orig.cloneNode(false);
      if (orig.tagName === "TABLE") {
        const thead = orig.querySelector(":scope > thead");
        if (thead) clone.appendChild(thead.cloneNode(true));
      }
      parent.appendChild(clone);
      parent = clone;
      return clone;
    });
  };

  // Place `el` (an original) into clones[-1]; `path` are the originals of `clones`.
  const place = (el, path, clones) => {
    if (el.dataset && forced.has(el.dataset.pid) && !fresh) clones = breakBefore(el, path);
    const target = clones.length ? clones[clones.length - 1] : sheet;
    target.appendChild(el);
    if (fits()) {
      if (!isHead(el)) fresh = false;
      return clones;
    }
    el.remove();
    const whole = !fresh && (avoid(el) || !splittable(el));
    if (!whole && splittable(el)) {
      // its children, one by one, into a shell of it
      const shell = el.cloneNode(false);
      const kids = Array.from(el.children);
      if (el.tagName === "TABLE") {
        const thead = el.querySelector(":scope > thead");
        if (thead) shell.appendChild(thead.cloneNode(true));
      }
      target.appendChild(shell);
      let inner = clones.concat([shell]);
      const innerPath = path.concat([el]);
      for (const kid of kids) {
        if (kid.tagName === "THEAD") continue;
        inner = place(kid, innerPath, inner);
      }
      return inner.slice(0, clones.length);
    }
    if (fresh) {
      // too big for any sheet and not splittable: it overflows
      target.appendChild(el);
      fresh = false;
      return clones;
    }
    // headings left at the foot of the sheet go along
    const carried = [];
    while (target.lastElementChild && isHead(target.lastElementChild)) {
      carried.unshift(target.lastElementChild);
      target.lastElementChild.remove();
    }
    // a section that would keep nothing but its heading moves whole
    if (clones.length === 1 && target.tagName === "SECTION" && !target.children.length) {
      target.remove();
      newSheet();
      const moved = path[0].cloneNode(false);
      sheet.appendChild(moved);
      for (const c of carried) moved.appendChild(c);
      return place(el, path, [moved]);
    }
    // an item that would keep nothing on this sheet starts the next one whole
    const item = path.length ? path[path.length - 1] : null;
    let next;
    if (target !== sheet && !target.children.length && item && "continued" in item.dataset) {
      target.remove();
      const outer = breakBefore(item, path.slice(0, -1));
      const shell = item.cloneNode(false);
      (outer.length ? outer[outer.length - 1] : sheet).appendChild(shell);
      next = outer.concat([shell]);
    } else {
      next = breakBefore(carried.length ? carried[0] : el, path);
    }
    const inner = next.length ? next[next.length - 1] : sheet;
    for (const c of carried) inner.appendChild(c);
    return place(el, path, next);
  };

  const layout = (tight) => {
  main.textContent = "";
  const flow = original.map((el) => el.cloneNode(true));
  for (const block of flow) {
    const level = block.dataset ? tight.get(block.dataset.page) || 0 : 0;
    if (level) block.classList.add("tight");
    if (level > 1) block.classList.add("tighter");
  }
  newSheet();
  for (const block of flow) {
    if (block.matches("section.page") && !block.matches(".executive, .methodology, .shared") &&
        !fresh) newSheet();
    place(block, [], []);
  }
  // shells left empty at the foot of a sheet (a table head without rows, a list
  // without items) go
  const empty = (el) => !el.textContent.trim() && !el.querySelector("svg, img");
  for (const table of main.querySelectorAll(".sheet table")) {
    if (!table.querySelector("tbody tr, :scope > tr")) table.remove();
  }
  for (const el of Array.from(main.querySelectorAll(".sheet *")).reverse()) {
    if (SPLIT.has(el.tagName) && el.isConnected && empty(el)) el.remove();
  }
  for (const s of main.querySelectorAll(":scope > .sheet")) if (empty(s)) s.remove();
  for (const s of main.querySelectorAll(":scope > .sheet")) retitle(s);
  };

  // The sections of the deck whose last sheet is a short tail of the one before.
  const shortTails = () => {
    const sheets = Array.from(main.querySelectorAll(":scope > .sheet"));
    const pages = sheets.map((s) => new Set(Array.from(
      s.querySelectorAll(":scope > section.page[data-page]"), (x) => x.dataset.page)));
    const out = new Set();
    sheets.forEach((s, i) => {
      if (i === 0 || s.getBoundingClientRect().height >= minFill * H) return;
      for (const p of pages[i]) {
        if (pages[i - 1].has(p) && !(pages[i + 1] || new Set()).has(p)) out.add(p);
      }
      // a sheet of one-line notes only (section.oneliner: one line on the page
      // before, board.css) is a tail of the last section of the sheet before it
      if (!pages[i].size && s.querySelector(":scope > section.oneliner")) {
        const last = Array.from(sheets[i - 1].querySelectorAll(
          ":scope > section.page[data-page]")).pop();
        if (last) out.add(last.dataset.page);
      }
    });
    return out;
  };

  // section -> how tight (1: .tight, 2: .tight.tighter)
  const tight = new Map();
  layout(tight);
  for (let round = 0; round < 4; round++) {
    const more = Array.from(shortTails()).filter((p) => (tight.get(p) || 0) < 2);
    if (!more.length) break;
    for (const p of more) tight.set(p, (tight.get(p) || 0) + 1);
    layout(tight);
  }
  // A tail still short: start its section's sheet earlier, before the last item
  // that starts on the sheet before it (then the one before that, ...), when both
  // sheets are then filled at least `minFill`.
  const sheetsOf = (p) => Array.from(main.querySelectorAll(":scope > .sheet")).filter(
    (s) => s.querySelector(`:scope > section.page[data-page="${p}"]`));
  const fill = (s) => s.getBoundingClientRect().height / H;
  const balance = (p) => {
    const before = sheetsOf(p).slice(-2)[0];
    const starts = Array.from(before.querySelectorAll("[data-pid]")).filter(
      (el) => main.querySelector(`[data-pid="${el.dataset.pid}"]`) === el);
    for (const pid of starts.reverse().map((el) => el.dataset.pid)) {
      forced.add(pid);
      layout(tight);
      const now = sheetsOf(p);
      if (now.length > 1 && now.slice(-2).every((s) => fill(s) >= minFill)) return true;
      forced.delete(pid);
    }
    layout(tight);
    return false;
  };
  for (const p of shortTails()) {
    const level = tight.get(p);
    tight.delete(p); // balanced in the deck's own type if it can be
    layout(tight);
    if (!sheetsOf(p).length || balance(p)) continue;
    tight.set(p, level);
    layout(tight);
    if (shortTails().has(p)) balance(p);
  }
  return main.querySelectorAll(":scope > .sheet").length;
}
