// R-ev4 the stream overlay: follows the live stream (R-ev3), reconnects by itself, and marks
// figures older than 5 s as stale while the stream is away. No build step, no external resources.
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("config").textContent);
  var t = cfg.text, STALE_MS = 5000;
  var state = { shop: null, session: null, cards: {}, drops: [], confirmedAt: 0, open: false };
  var source = null;

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return values[k] === undefined ? "" : values[k]; });
  }
  function number(n) { return new Intl.NumberFormat(cfg.lang).format(n); }
  function money(minor, currency) {
    var f = new Intl.NumberFormat(cfg.lang, { style: "currency", currency: currency });
    var digits = f.resolvedOptions().maximumFractionDigits;
    return f.format(minor / Math.pow(10, digits));
  }
  function discount(v) {
    var cur = state.shop ? state.shop.currency : "USD";
    if (!v) return "";
    if (v.discount_type === "percent") {
      var text = fmt(t.percent_off, { percent: number(v.percent || 0) });
      return v.max_discount ? text + " · " + fmt(t.up_to, { cap: money(v.max_discount, cur) }) : text;
    }
    return fmt(t.amount_off, { amount: money(v.amount || 0, cur) });
  }
  function task(k) {
    if (!k || k.type === "none") return t.no_task;
    if (k.type === "follow") return t.follow;
    return fmt(t.watch, { minutes: number(k.minutes || 0) });
  }
  function countdown(iso) {
    var s = Math.max(0, Math.round((Date.parse(iso) - Date.now()) / 1000));
    var m = Math.floor(s / 60), r = s % 60;
    return m + ":" + (r < 10 ? "0" : "") + r;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function render() {
    var box = document.getElementById("cards");
    box.textContent = "";
    var stale = !state.open && Date.now() - state.confirmedAt > STALE_MS;
    Object.keys(state.cards).forEach(function (id) {
      var c = state.cards[id], v = c.voucher || {};
      var card = el("article", "card" + (c.mode === "draw" ? " draw" : "") + (c.result ? " done" : "") + (stale ? " stale" : ""));
      card.dataset.distribution = id;
      card.appendChild(el("div", "name", v.name || ""));
      card.appendChild(el("div", "discount", discount(v)));
      card.appendChild(el("div", "task", task(c.task)));
      if (v.total_quantity) {
        var left = Math.max(0, v.remaining);
        card.appendChild(el("div", "remaining meta", fmt(t.left, { remaining: number(left), total: number(v.total_quantity) })));
        var bar = el("div", "bar"), fill = el("i");
        fill.style.width = (100 * left / v.total_quantity) + "%";
        bar.appendChild(fill);
        card.appendChild(bar);
      }
      if (v.segment && v.segment !== "all" && t.segments[v.segment]) {  // R-seg
        card.appendChild(el("div", "segment meta", fmt(t.only_for, { segment: t.segments[v.segment] })));
      }
      if (v.budget_left !== null && v.budget_left !== undefined && state.shop) {  // R-budget
        card.appendChild(el("div", "budget meta", fmt(t.budget_left, { left: money(v.budget_left, state.shop.currency) })));
      }
      if (c.result) {
        card.appendChild(el("div", "cta", fmt(t.drawn, { winners: number(c.result.claims) })));
        card.appendChild(el("div", "meta", fmt(t.verify, { seed: c.result.seed.slice(0, 12) })));
      } else if (c.mode === "draw" && c.draw) {
        card.appendChild(el("div", "cta", fmt(t.draw_closes, { time: countdown(c.draw.closes_at) })));
        card.appendChild(el("div", "meta", fmt(t.entries, { n: number(c.draw.entries || 0) })));
      } else {
        card.appendChild(el("div", "cta", v.remaining > 0 ? t.claim_now : t.sold_out));
      }
      box.appendChild(card);
    });
    var drops = document.getElementById("drops");
    drops.textContent = "";
    state.drops.forEach(function (d) {
      drops.appendChild(el("span", "drop", fmt(t.drop_in, { time: countdown(d.at) })));
    });
    document.getElementById("status").textContent =
      state.open ? (state.session ? "" : t.waiting) : (stale ? t.reconnecting : "");
    document.getElementById("overlay").dataset.state = state.open ? "live" : (stale ? "stale" : "connecting");
  }

  function snapshot(s) {
    state.shop = s.shop;
    state.session = s.session;
    state.cards = {};
    (s.distributions || []).forEach(function (c) { state.cards[c.distribution_id] = c; });
    state.drops = s.session ? (s.session.drops || []) : [];
  }

  function onEvent(type, env) {
    var d = env.data || {};
    if (type === "distribution.started") {
      state.cards[d.distribution_id] = {
        distribution_id: d.distribution_id, task: d.task, mode: d.mode, voucher: d.voucher,
        draw: d.mode === "draw" ? { closes_at: d.closes_at, entries: 0, commitment: d.commitment } : null,
      };
    } else if (type === "distribution.stopped") {
      var c = state.cards[d.distribution_id];
      if (c && !c.result) delete state.cards[d.distribution_id];
    } else if (type === "draw.closed") {
      var card = state.cards[d.distribution_id];
      if (card) { card.result = { claims: d.claims, seed: d.seed || "" }; }
    } else if (type === "draw.cancelled") {
      delete state.cards[d.distribution_id];
    } else if (type === "drop.scheduled") {
      state.drops.push({ id: d.drop_id, at: d.at });
    } else if (/^drop\./.test(type)) {
      state.drops = state.drops.filter(function (x) { return x.id !== d.drop_id; });
    } else if (type === "voucher.sold_out" || type === "voucher.quota_low") {
      Object.keys(state.cards).forEach(function (id) {
        var v = state.cards[id].voucher;
        if (v && v.id === d.voucher_id) v.remaining = d.remaining;
      });
    } else if (type === "voucher.budget_low" || type === "voucher.budget_spent") {
      Object.keys(state.cards).forEach(function (id) {
        var v = state.cards[id].voucher;
        if (v && v.id === d.voucher_id) v.budget_left = d.left;
      });
    } else if (type === "live_session.ended") {
      state.cards = {}; state.drops = []; state.session = null;
    }
  }

  function connect() {
    source = new EventSource(cfg.stream);
    source.onopen = function () { state.open = true; state.confirmedAt = Date.now(); render(); };
    source.addEventListener("snapshot", function (m) { snapshot(JSON.parse(m.data)); render(); });
    cfg.types.forEach(function (type) {
      source.addEventListener(type, function (m) { onEvent(type, JSON.parse(m.data)); render(); });
    });
    source.addEventListener("distribution.progress", function (m) {
      var p = JSON.parse(m.data).data, c = state.cards[p.distribution_id];
      if (c && c.voucher) {
        c.voucher.remaining = p.remaining;
        if (p.budget_left !== null && p.budget_left !== undefined) c.voucher.budget_left = p.budget_left;
        render();
      }
    });
    source.onerror = function () {
      if (state.open) state.confirmedAt = Date.now();
      state.open = false;
      render();
      if (source.readyState === EventSource.CLOSED) {  // an error answer: try again ourselves
        setTimeout(connect, 2000);
      }
    };
  }

  setInterval(function () { if (state.open) state.confirmedAt = Date.now(); render(); }, 1000);
  connect();
  render();
})();
