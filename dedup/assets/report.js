// dedup report page. Reads the JSON data block and builds the page with DOM calls; every piece of
// article text and metadata goes in through textContent (never as markup).
(() => {
  "use strict";
  const data = JSON.parse(document.getElementById("dedup-data").textContent);
  const articles = data.articles;
  const pairs = data.pairs;
  const clusters = data.clusters;
  const RELATIONS = ["near-duplicate", "containment", "overlap"];
  const PAGE = data.page_size;
  const CLUSTER_STEP = 50;
  const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  const state = { relations: new Set(RELATIONS), query: "", article: -1, page: 0, clustersShown: CLUSTER_STEP };
  let filtered = [];
  let current = -1;

  for (const a of articles) a.key = (a.id + "\n" + (a.title || "")).toLowerCase();

  function h(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  const byId = (id) => document.getElementById(id);
  const fmt = (n) => n.toLocaleString("en");
  const pct = (x) => (100 * x).toFixed(x > 0 && x < 0.01 ? 1 : 0) + "%";
  const badge = (rel) => h("span", "badge " + rel, rel);
  const pairHref = (p) => "#pair-" + p.rank;

  // ---- pair list ------------------------------------------------------------------------------------

  function applyFilters() {
    const q = state.query.trim().toLowerCase();
    filtered = [];
    for (let i = 0; i < pairs.length; i++) {
      const p = pairs[i];
      if (!state.relations.has(p.relation)) continue;
      if (state.article >= 0 && p.a !== state.article && p.b !== state.article) continue;
      if (q && !articles[p.a].key.includes(q) && !articles[p.b].key.includes(q)) continue;
      filtered.push(i);
    }
    const pages = Math.max(1, Math.ceil(filtered.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
  }

  function buildFilters() {
    const box = byId("filters");
    const counts = {};
    for (const r of RELATIONS) counts[r] = 0;
    for (const p of pairs) counts[p.relation]++;
    for (const rel of RELATIONS) {
      const label = h("label", "rel-filter");
      const box1 = h("input");
      box1.type = "checkbox";
      box1.checked = true;
      box1.value = rel;
      box1.addEventListener("change", () => {
        if (box1.checked) state.relations.add(rel); else state.relations.delete(rel);
        state.page = 0;
        renderList();
      });
      label.append(box1, " ", badge(rel), " " + fmt(counts[rel]));
      box.append(label);
    }
    const search = h("input");
    search.type = "search";
    search.id = "pair-search";
    search.placeholder = "Filter by article id or title";
    search.setAttribute("aria-label", "Filter pairs by article id or title");
    let timer = 0;
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => { state.query = search.value; state.page = 0; renderList(); }, 120);
    });
    box.append(search, h("span", "", ""));
  }

  function renderChip() {
    const box = byId("filters");
    const slot = box.lastChild;
    slot.replaceChildren();
    if (state.article < 0) return;
    const chip = h("span", "chip");
    chip.id = "article-filter";
    const close = h("button", "", "×");
    close.title = "Show all pairs";
    close.addEventListener("click", () => { state.article = -1; state.page = 0; renderList(); });
    chip.append("pairs of ", h("b", "", articles[state.article].id), " ", close);
    slot.append(chip);
  }

  function articleCell(idx, pair) {
    const td = h("td", "art");
    const a = articles[idx];
    const link = h("a", "", a.id);
    link.href = pairHref(pair);
    td.append(link);
    if (pair.contained === idx) td.append(h("span", "contained-mark", "contained"));
    if (a.title) {
      const t = h("div", "title", a.title);
      t.title = a.title;
      td.append(t);
    }
    return td;
  }

  function renderList() {
    applyFilters();
    renderChip();
    const body = byId("pair-rows");
    const rows = document.createDocumentFragment();
    const start = state.page * PAGE;
    for (const i of filtered.slice(start, start + PAGE)) {
      const p = pairs[i];
      const tr = h("tr", "rel-" + p.relation);
      tr.dataset.pair = String(i);
      const rel = h("td");
      rel.append(badge(p.relation));
      tr.append(
        h("td", "num", p.rank), rel, articleCell(p.a, p), articleCell(p.b, p),
        h("td", "num", pct(p.coverage_a)), h("td", "num", pct(p.coverage_b)),
        h("td", "num", p.jaccard.toFixed(3)), h("td", "num", p.passages.length),
      );
      rows.append(tr);
    }
    body.replaceChildren(rows);
    if (!filtered.length) {
      const tr = h("tr");
      const td = h("td", "empty", pairs.length ? "No pair matches these filters." : "No shared passages found.");
      td.colSpan = 8;
      tr.append(td);
      body.append(tr);
    }
    renderPager();
  }

  function renderPager() {
    const box = byId("pager");
    const pages = Math.max(1, Math.ceil(filtered.length / PAGE));
    const first = filtered.length ? state.page * PAGE + 1 : 0;
    const last = Math.min(filtered.length, (state.page + 1) * PAGE);
    const info = h("span", "note", `${fmt(first)}–${fmt(last)} of ${fmt(filtered.length)} pairs`);
    info.id = "pager-info";
    const go = (page) => { state.page = page; renderList(); byId("pairs").scrollIntoView(); };
    const button = (label, page, disabled) => {
      const b = h("button", "", label);
      b.disabled = disabled;
      b.addEventListener("click", () => go(page));
      return b;
    };
    const parts = [info];
    if (pages > 1) {
      parts.unshift(
        button("« first", 0, state.page === 0),
        button("‹ previous", state.page - 1, state.page === 0),
        h("span", "", `page ${fmt(state.page + 1)} of ${fmt(pages)}`),
        button("next ›", state.page + 1, state.page >= pages - 1),
        button("last »", pages - 1, state.page >= pages - 1),
      );
    }
    box.replaceChildren(...parts);
  }

  // ---- clusters -------------------------------------------------------------------------------------

  function renderClusters() {
    const list = byId("cluster-list");
    const more = byId("cluster-more");
    if (!clusters.length) {
      list.replaceChildren();
      more.replaceChildren(h("p", "empty", "No clusters: no near-duplicate or containment pairs."));
      return;
    }
    const items = document.createDocumentFragment();
    for (const members of clusters.slice(list.children.length, state.clustersShown)) {
      const li = h("li");
      li.append(h("span", "note", `${members.length} articles: `));
      for (const idx of members) {
        const span = h("span", "member");
        const b = h("button", "", articles[idx].id);
        if (articles[idx].title) b.title = articles[idx].title;
        b.addEventListener("click", () => {
          state.article = idx;
          state.page = 0;
          renderList();
          byId("pairs").scrollIntoView();
        });
        span.append(b);
        li.append(span);
      }
      items.append(li);
    }
    list.append(items);
    more.replaceChildren();
    if (clusters.length > state.clustersShown) {
      const b = h("button", "", `show ${fmt(Math.min(CLUSTER_STEP, clusters.length - state.clustersShown))} more of ${fmt(clusters.length - state.clustersShown)}`);
      b.addEventListener("click", () => { state.clustersShown += CLUSTER_STEP; renderClusters(); });
      more.append(b);
    }
  }

  // ---- pair view ------------------------------------------------------------------------------------

  function sideHead(idx, pair, coverage) {
    const a = articles[idx];
    const head = h("div", "side-head");
    head.append(h("div", "id", a.id));
    if (a.title) head.append(h("div", "title", a.title));
    const meta = [a.source, a.published].filter((x) => x).join(" · ");
    const line = h("div", "meta", meta);
    if (a.url) {
      if (meta) line.append(" · ");
      if (/^https?:\/\//i.test(a.url)) {
        const link = h("a", "", a.url);
        link.href = a.url;
        link.rel = "noopener noreferrer";
        link.target = "_blank";
        line.append(link);
      } else {
        line.append(a.url);
      }
    }
    const cov = `${pct(coverage)} of its words in shared passages` + (pair.contained === idx ? " · contained in the other" : "");
    line.append(line.textContent ? " · " + cov : cov);
    head.append(line);
    return head;
  }

  function buildText(side, text, marks) {
    const box = h("div", "text");
    box.id = "text-" + side;
    box.tabIndex = 0;
    let pos = 0;
    let mark = null;
    let markP = -1;
    const seen = new Set();
    for (const [s, e, p, changed] of marks) {
      if (s > pos) { box.append(text.slice(pos, s)); mark = null; }
      if (mark === null || markP !== p) {
        mark = h("mark", "psg c" + (p % data.palette));
        mark.dataset.p = String(p);
        if (!seen.has(p)) { mark.id = side + "-p" + p; seen.add(p); }
        box.append(mark);
        markP = p;
      }
      const piece = text.slice(s, e);
      if (changed) mark.append(h("span", "chg", piece)); else mark.append(piece);
      pos = e;
    }
    if (pos < text.length) box.append(text.slice(pos));
    return box;
  }

  function reveal(box, el) {
    const b = box.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    const top = box.scrollTop + (r.top - b.top) - Math.max(0, (box.clientHeight - r.height) / 2);
    box.scrollTo({ top: Math.max(0, top), behavior: smooth ? "smooth" : "auto" });
    if (b.top < 0 || b.bottom > window.innerHeight) box.scrollIntoView({ block: "nearest" });
  }

  function activate(side, p, pair) {
    const view = byId("pair-view");
    for (const m of view.querySelectorAll("mark.psg.active")) m.classList.remove("active");
    const other = side === "a" ? "b" : "a";
    const here = byId(side + "-p" + pair["owner_" + side][p]);
    const there = byId(other + "-p" + pair["owner_" + other][p]);
    for (const m of [here, there]) if (m) m.classList.add("active");
    if (there) {
      reveal(byId("text-" + other), there);
      there.classList.remove("flash");
      void there.offsetWidth;
      there.classList.add("flash");
    }
    return [here, there];
  }

  function passageTable(pair) {
    const table = h("table", "passages");
    const head = h("tr");
    for (const t of ["", "#", "similarity", "matched words", "changed", "a", "b"]) head.append(h("th", "", t));
    const thead = h("thead");
    thead.append(head);
    const body = h("tbody");
    pair.passages.forEach((ps, n) => {
      const tr = h("tr");
      tr.dataset.p = String(n);
      const sw = h("td");
      sw.append(h("span", "swatch c" + (n % data.palette)));
      tr.append(
        sw, h("td", "num", n + 1), h("td", "num", ps.similarity.toFixed(2)), h("td", "num", ps.matched_words),
        h("td", "num", ps.changed ? "yes" : "no"),
        h("td", "num", `${ps.a[0]}–${ps.a[1]}`), h("td", "num", `${ps.b[0]}–${ps.b[1]}`),
      );
      tr.addEventListener("click", () => {
        const [a] = activate("b", n, pair);
        if (a) reveal(byId("text-a"), a);
      });
      body.append(tr);
    });
    table.append(thead, body);
    return table;
  }

  function neighbours(i) {
    let at = filtered.indexOf(i);
    const order = at >= 0 ? filtered : pairs.map((_, n) => n);
    if (at < 0) at = i;
    return [order[at - 1], order[at + 1], at, order.length];
  }

  function showPair(i) {
    const pair = pairs[i];
    current = i;
    const view = byId("pair-view");
    const [prev, next, at, total] = neighbours(i);
    const nav = h("div", "pair-nav");
    const back = h("a", "", "← all pairs");
    back.href = "#pairs";
    const navButton = (label, target, id) => {
      const b = h("button", "", label);
      b.id = id;
      b.disabled = target === undefined;
      b.addEventListener("click", () => { location.hash = pairHref(pairs[target]); });
      return b;
    };
    nav.append(back, navButton("‹ previous", prev, "prev-pair"), navButton("next ›", next, "next-pair"),
      h("span", "note", `pair ${fmt(at + 1)} of ${fmt(total)} · keys: j / k, Esc`));
    const title = h("div", "pair-title");
    const h2 = h("h2", "", `${articles[pair.a].id}  ~  ${articles[pair.b].id}`);
    title.append(badge(pair.relation), h2);
    const changed = pair.passages.filter((ps) => ps.changed).length;
    const scores = h("p", "scores",
      `#${pair.rank} · Jaccard ${pair.jaccard.toFixed(3)} (MinHash estimate ${pair.jaccard_estimate.toFixed(3)}) · ` +
      `${pair.passages.length} shared passage${pair.passages.length === 1 ? "" : "s"}` +
      (changed ? `, ${changed} with changed words` : ""));
    const legend = h("p", "legend");
    legend.append("Each shared passage has one colour on both sides; ", h("span", "chg-sample", "wavy underlined"),
      " words differ between the two sides. Click a passage to bring its counterpart into view.");
    const sides = h("div", "sides");
    for (const side of ["a", "b"]) {
      const idx = pair[side];
      const col = h("section", "side");
      col.id = "side-" + side;
      const box = buildText(side, articles[idx].text, pair["marks_" + side]);
      box.addEventListener("click", (ev) => {
        const m = ev.target.closest("mark.psg");
        if (m) activate(side, Number(m.dataset.p), pair);
      });
      col.append(sideHead(idx, pair, pair["coverage_" + side]), box);
      sides.append(col);
    }
    view.replaceChildren(nav, title, scores, legend, sides, passageTable(pair));
    byId("overview").hidden = true;
    view.hidden = false;
    document.title = `${articles[pair.a].id} ~ ${articles[pair.b].id} · dedup report`;
    window.scrollTo(0, 0);
  }

  function showOverview() {
    current = -1;
    byId("pair-view").hidden = true;
    byId("pair-view").replaceChildren();
    byId("overview").hidden = false;
    document.title = baseTitle;
    const target = location.hash ? byId(location.hash.slice(1)) : null;
    if (target) target.scrollIntoView();
  }

  function route() {
    const m = /^#pair-(\d+)$/.exec(location.hash);
    const n = m ? Number(m[1]) - 1 : -1;
    if (n >= 0 && n < pairs.length) showPair(n); else showOverview();
  }

  const baseTitle = document.title;
  byId("pair-rows").addEventListener("click", (ev) => {
    if (ev.target.closest("a")) return;
    const tr = ev.target.closest("tr[data-pair]");
    if (tr) location.hash = pairHref(pairs[Number(tr.dataset.pair)]);
  });
  document.addEventListener("keydown", (ev) => {
    if (current < 0 || ev.altKey || ev.ctrlKey || ev.metaKey || ev.target.closest("input")) return;
    const [prev, next] = neighbours(current);
    if (ev.key === "j" && next !== undefined) location.hash = pairHref(pairs[next]);
    else if (ev.key === "k" && prev !== undefined) location.hash = pairHref(pairs[prev]);
    else if (ev.key === "Escape") location.hash = "#pairs";
  });
  window.addEventListener("hashchange", route);

  buildFilters();
  renderList();
  renderClusters();
  route();
  requestAnimationFrame(() => requestAnimationFrame(() => {
    performance.mark("dedup-first-screen");
    document.documentElement.dataset.ready = "1";
  }));
})();
