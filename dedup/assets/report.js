// dedup report page. Reads the JSON data block and builds the page with DOM calls; every piece of
// article text and metadata goes in through textContent (never as markup).
(() => {
  "use strict";
  // What the first screen needs is parsed now; pair marks, article texts and passage-cluster members
  // are JSON lines in three more blocks, split and parsed only when something is opened.
  const data = JSON.parse(document.getElementById("dedup-data").textContent);
  const articles = data.articles;
  const pairs = data.pairs;
  const clusters = data.clusters;
  const clusterOrigins = data.cluster_origins || [];
  const shared = data.passage_clusters || [];
  const RELATIONS = ["near-duplicate", "containment", "overlap"];
  const PAGE = data.page_size;
  const CLUSTER_STEP = 50;
  const SHARED_STEP = 25;
  const MEMBER_STEP = 50;
  const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  const state = {
    relations: new Set(RELATIONS), query: "", article: -1, page: 0,
    clustersShown: CLUSTER_STEP, sharedShown: SHARED_STEP,
  };
  let filtered = [];
  let current = -1;
  let currentShared = -1;

  const blocks = {};
  function lazyLine(id, n) {
    let b = blocks[id];
    if (!b) {
      const text = document.getElementById(id).textContent;
      b = blocks[id] = { lines: text ? text.split("\n") : [], parsed: new Map() };
    }
    let v = b.parsed.get(n);
    if (v === undefined) {
      v = JSON.parse(b.lines[n]);
      b.parsed.set(n, v);
    }
    return v;
  }
  // the blocks come after this script: until the document is parsed, opening a pair waits for them
  const parsed = () => document.readyState !== "loading";
  const textOf = (idx) => (articles[idx].line < 0 ? null : lazyLine("dedup-texts", articles[idx].line).text);
  const pairDetail = (i) => lazyLine("dedup-pairs", pairs[i].line);
  const sharedDetail = (k) => lazyLine("dedup-passages", shared[k].line);

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
        h("td", "num", p.jaccard.toFixed(3)), h("td", "num", p.n_passages),
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

  // ---- origins and shared passages -------------------------------------------------------------------

  function showArticlePairs(idx) {
    state.article = idx;
    state.page = 0;
    location.hash = "#pairs";
    renderList();
    byId("pairs").scrollIntoView();
  }

  function articleButton(idx) {
    const b = h("button", "linkish", articles[idx].id);
    if (articles[idx].title) b.title = articles[idx].title;
    b.addEventListener("click", () => showArticlePairs(idx));
    return b;
  }

  function originLabel(o) {
    if (o.origin !== null && o.origin !== undefined) return articles[o.origin].id;
    if (o.outside) return "not in the corpus (" + o.outside + ")";
    return "unknown";
  }

  function originLine(o, cls) {
    const line = h("span", cls);
    line.append("origin: ");
    if (o.origin !== null && o.origin !== undefined) line.append(articleButton(o.origin));
    else line.append(h("span", "", originLabel(o)));
    line.append(" ", h("span", "conf conf-" + o.confidence, o.confidence));
    return line;
  }

  function renderShared() {
    const body = byId("passage-rows");
    const more = byId("passage-more");
    if (!shared.length) {
      body.replaceChildren();
      const tr = h("tr");
      const td = h("td", "empty", "No shared passages.");
      td.colSpan = 4;
      tr.append(td);
      body.append(tr);
      more.replaceChildren();
      return;
    }
    const rows = document.createDocumentFragment();
    for (let k = body.children.length; k < Math.min(shared.length, state.sharedShown); k++) {
      const c = shared[k];
      const tr = h("tr");
      tr.dataset.shared = String(k);
      const link = h("a", "", c.id + 1);
      link.href = "#passage-" + (c.id + 1);
      const num = h("td", "num");
      num.append(link);
      const origin = h("td", "origin-cell");
      origin.append(originLabel(c), " ", h("span", "conf conf-" + c.confidence, c.confidence));
      const text = h("td", "snippet", c.snippet);
      tr.append(num, h("td", "num", c.reach), origin, text);
      rows.append(tr);
    }
    body.append(rows);
    more.replaceChildren();
    if (shared.length > state.sharedShown) {
      const left = shared.length - state.sharedShown;
      const b = h("button", "", `show ${fmt(Math.min(SHARED_STEP, left))} more of ${fmt(left)}`);
      b.id = "passage-more-button";
      b.addEventListener("click", () => { state.sharedShown += SHARED_STEP; renderShared(); });
      more.append(b);
    }
  }

  function wording(text, changed) {
    const box = h("div", "wording");
    let pos = 0;
    for (const [s, e] of changed) {
      if (s > pos) box.append(text.slice(pos, s));
      box.append(h("span", "chg", text.slice(s, e)));
      pos = e;
    }
    if (pos < text.length) box.append(text.slice(pos));
    return box;
  }

  const memberText = (m) => (m.text !== null && m.text !== undefined ? m.text : textOf(m.article).slice(m.at[0], m.at[1]));

  function memberItem(m, c, d) {
    const li = h("li", "variant");
    li.dataset.article = String(m.article);
    const a = articles[m.article];
    const head = h("div", "variant-head");
    head.append(h("span", "when", m.published || "undated"), " ", articleButton(m.article));
    if (c.origin === m.article) head.append(" ", h("span", "badge origin", "origin"));
    const meta = [a.source, a.title].filter((x) => x).join(" · ");
    if (meta) head.append(h("span", "meta", " " + meta));
    if (m.pair !== null && m.pair !== undefined) {
      const link = h("a", "cmp", "compare with the origin");
      link.href = pairHref(pairs[m.pair]);
      head.append(" ", link);
    }
    const text = memberText(m);
    const where = h("div", "where", `characters ${m.start}–${m.end}` + (text === d.text ? " · the representative wording" : ""));
    li.append(head, wording(text, m.changed), where);
    return li;
  }

  function showShared(k) {
    const c = shared[k];
    const d = sharedDetail(k);
    if (d.text === null) d.text = memberText(d.members[d.rep]);
    current = -1;
    currentShared = k;
    const view = byId("passage-view");
    const nav = h("div", "pair-nav");
    const back = h("a", "", "← all shared passages");
    back.href = "#passages";
    const step = (label, target, id) => {
      const b = h("button", "", label);
      b.id = id;
      b.disabled = target < 0 || target >= shared.length;
      b.addEventListener("click", () => { location.hash = "#passage-" + (target + 1); });
      return b;
    };
    nav.append(back, step("‹ previous", k - 1, "prev-passage"), step("next ›", k + 1, "next-passage"),
      h("span", "note", `shared passage ${fmt(k + 1)} of ${fmt(shared.length)}`));
    const title = h("h2", "", `Shared passage ${c.id + 1}: in ${fmt(c.reach)} article${c.reach === 1 ? "" : "s"}`);
    const scores = h("p", "scores", `${fmt(c.passages)} shared passage${c.passages === 1 ? "" : "s"} of pairs make it up; members in order of publication (undated last).`);
    const origin = h("div", "origin-box");
    origin.id = "passage-origin";
    const head = h("p", "origin-head");
    head.append(originLine(c, "origin-line"));
    if (c.origin === null && !c.outside) head.append(h("span", "note", " (no date, credit or containment tells which came first)"));
    origin.append(head);
    if (d.evidence.length) {
      const ul = h("ul", "evidence");
      for (const e of d.evidence) {
        const li = h("li", "ev-" + e.kind, e.detail);
        if (e.text) li.append(" ", h("q", "credit", e.text));
        ul.append(li);
      }
      origin.append(ul);
    }
    const grid = h("div", "variants");
    const rep = h("section", "representative");
    rep.append(h("h3", "", c.origin !== null ? "The origin's wording" : "Representative wording"), wording(d.text, []));
    const list = h("ol", "variant-list");
    list.id = "variant-list";
    const col = h("section", "members");
    col.append(h("h3", "", "Where it appears"), list);
    const more = h("div", "");
    let shown = 0;
    const fill = () => {
      const items = document.createDocumentFragment();
      for (const m of d.members.slice(shown, shown + MEMBER_STEP)) items.append(memberItem(m, c, d));
      shown = Math.min(d.members.length, shown + MEMBER_STEP);
      list.append(items);
      more.replaceChildren();
      if (shown < d.members.length) {
        const b = h("button", "", `show ${fmt(Math.min(MEMBER_STEP, d.members.length - shown))} more of ${fmt(d.members.length - shown)}`);
        b.id = "variant-more";
        b.addEventListener("click", fill);
        more.append(b);
      }
    };
    fill();
    col.append(more);
    grid.append(rep, col);
    view.replaceChildren(nav, title, scores, origin, grid);
    byId("overview").hidden = true;
    byId("pair-view").hidden = true;
    view.hidden = false;
    document.title = `shared passage ${c.id + 1} · dedup report`;
    window.scrollTo(0, 0);
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
    for (let k = list.children.length; k < Math.min(clusters.length, state.clustersShown); k++) {
      const members = clusters[k];
      const li = h("li");
      li.append(h("span", "note", `${members.length} articles: `));
      for (const idx of members) {
        const span = h("span", "member");
        span.append(articleButton(idx));
        li.append(span);
      }
      if (clusterOrigins[k]) li.append(" ", originLine(clusterOrigins[k], "origin-line"));
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

  function activate(side, p, d) {
    const view = byId("pair-view");
    for (const m of view.querySelectorAll("mark.psg.active")) m.classList.remove("active");
    const other = side === "a" ? "b" : "a";
    const here = byId(side + "-p" + d["owner_" + side][p]);
    const there = byId(other + "-p" + d["owner_" + other][p]);
    for (const m of [here, there]) if (m) m.classList.add("active");
    if (there) {
      reveal(byId("text-" + other), there);
      there.classList.remove("flash");
      void there.offsetWidth;
      there.classList.add("flash");
    }
    return [here, there];
  }

  function passageTable(d) {
    const table = h("table", "passages");
    const head = h("tr");
    for (const t of ["", "#", "similarity", "matched words", "changed", "a", "b", "shared by"]) head.append(h("th", "", t));
    const thead = h("thead");
    thead.append(head);
    const body = h("tbody");
    d.passages.forEach((ps, n) => {
      const tr = h("tr");
      tr.dataset.p = String(n);
      const sw = h("td");
      sw.append(h("span", "swatch c" + (n % data.palette)));
      const by = h("td", "num");
      if (ps.cluster !== null && ps.cluster !== undefined && shared[ps.cluster]) {
        const link = h("a", "", `${fmt(shared[ps.cluster].reach)} articles`);
        link.href = "#passage-" + (ps.cluster + 1);
        link.addEventListener("click", (ev) => ev.stopPropagation());
        by.append(link);
      }
      tr.append(
        sw, h("td", "num", n + 1), h("td", "num", ps.similarity.toFixed(2)), h("td", "num", ps.matched_words),
        h("td", "num", ps.changed ? "yes" : "no"),
        h("td", "num", `${ps.a[0]}–${ps.a[1]}`), h("td", "num", `${ps.b[0]}–${ps.b[1]}`), by,
      );
      tr.addEventListener("click", () => {
        const [a] = activate("b", n, d);
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
    const d = pairDetail(i);
    current = i;
    currentShared = -1;
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
    const changed = d.passages.filter((ps) => ps.changed).length;
    const scores = h("p", "scores",
      `#${pair.rank} · Jaccard ${pair.jaccard.toFixed(3)} (MinHash estimate ${pair.jaccard_estimate.toFixed(3)}) · ` +
      `${d.passages.length} shared passage${d.passages.length === 1 ? "" : "s"}` +
      (changed ? `, ${changed} with changed words` : ""));
    const legend = h("p", "legend");
    legend.append("Each shared passage has one colour on both sides; ", h("span", "chg-sample", "wavy underlined"),
      " words differ between the two sides. Click a passage to bring its counterpart into view.");
    const sides = h("div", "sides");
    for (const side of ["a", "b"]) {
      const idx = pair[side];
      const col = h("section", "side");
      col.id = "side-" + side;
      const box = buildText(side, textOf(idx), d["marks_" + side]);
      box.addEventListener("click", (ev) => {
        const m = ev.target.closest("mark.psg");
        if (m) activate(side, Number(m.dataset.p), d);
      });
      col.append(sideHead(idx, pair, pair["coverage_" + side]), box);
      sides.append(col);
    }
    view.replaceChildren(nav, title, scores, legend, sides, passageTable(d));
    byId("overview").hidden = true;
    byId("passage-view").hidden = true;
    view.hidden = false;
    document.title = `${articles[pair.a].id} ~ ${articles[pair.b].id} · dedup report`;
    window.scrollTo(0, 0);
  }

  function showOverview() {
    current = -1;
    currentShared = -1;
    byId("pair-view").hidden = true;
    byId("pair-view").replaceChildren();
    byId("passage-view").hidden = true;
    byId("passage-view").replaceChildren();
    byId("overview").hidden = false;
    document.title = baseTitle;
    const target = location.hash ? byId(location.hash.slice(1)) : null;
    if (target) target.scrollIntoView();
  }

  function route() {
    const m = /^#pair-(\d+)$/.exec(location.hash);
    const n = m ? Number(m[1]) - 1 : -1;
    const ms = /^#passage-(\d+)$/.exec(location.hash);
    const k = ms ? Number(ms[1]) - 1 : -1;
    const opening = (n >= 0 && n < pairs.length) || (k >= 0 && k < shared.length);
    if (opening && !parsed()) {
      document.addEventListener("DOMContentLoaded", route, { once: true });
      return;
    }
    if (n >= 0 && n < pairs.length) showPair(n);
    else if (k >= 0 && k < shared.length) showShared(k);
    else showOverview();
  }

  const baseTitle = document.title;
  byId("passage-rows").addEventListener("click", (ev) => {
    if (ev.target.closest("a")) return;
    const tr = ev.target.closest("tr[data-shared]");
    if (tr) location.hash = "#passage-" + (shared[Number(tr.dataset.shared)].id + 1);
  });
  byId("pair-rows").addEventListener("click", (ev) => {
    if (ev.target.closest("a")) return;
    const tr = ev.target.closest("tr[data-pair]");
    if (tr) location.hash = pairHref(pairs[Number(tr.dataset.pair)]);
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.altKey || ev.ctrlKey || ev.metaKey || ev.target.closest("input")) return;
    if (currentShared >= 0) {
      if (ev.key === "j" && currentShared + 1 < shared.length) location.hash = "#passage-" + (currentShared + 2);
      else if (ev.key === "k" && currentShared > 0) location.hash = "#passage-" + currentShared;
      else if (ev.key === "Escape") location.hash = "#passages";
      return;
    }
    if (current < 0) return;
    const [prev, next] = neighbours(current);
    if (ev.key === "j" && next !== undefined) location.hash = pairHref(pairs[next]);
    else if (ev.key === "k" && prev !== undefined) location.hash = pairHref(pairs[prev]);
    else if (ev.key === "Escape") location.hash = "#pairs";
  });
  window.addEventListener("hashchange", route);

  buildFilters();
  renderShared();
  renderList();
  renderClusters();
  route();
  requestAnimationFrame(() => requestAnimationFrame(() => {
    performance.mark("dedup-first-screen");
    document.documentElement.dataset.ready = "1";
  }));
})();
