/* Voucherbot Mini App (docs/dashboard.md): plain JavaScript, no library, no build step.
   The server renders every view as an HTML fragment; this script only
   - hands Telegram's signed initData to every call (header X-Telegram-Init-Data),
   - applies Telegram's theme (themeParams → --tg-theme-* CSS variables, light or dark),
   - loads fragments: [data-get] on tap, <form data-post> on submit, data-refresh on a timer,
   - shows and hides form fields ([data-shown-when="field=value"]), keeps a select's meaning
     ([data-meaning-in]) under it, and ticks countdowns. */
(function () {
  "use strict";
  var tg = window.Telegram && window.Telegram.WebApp;
  var hash = new URLSearchParams(location.hash.slice(1));
  var initData = (tg && tg.initData) || hash.get("tgWebAppData") || "";
  var app = document.getElementById("app");
  var current = "/app/v/vouchers";
  var timer = null;

  function parse(text) {
    try { return JSON.parse(text || "{}"); } catch (e) { return {}; }
  }

  function dark(hex) {
    var m = /^#?([0-9a-f]{6})$/i.exec(hex || "");
    if (!m) return false;
    var n = parseInt(m[1], 16);
    return (0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) < 128;
  }

  function theme() {
    var params = (tg && tg.themeParams) || parse(hash.get("tgWebAppThemeParams"));
    var root = document.documentElement;
    Object.keys(params).forEach(function (key) {
      root.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), params[key]);
    });
    var scheme = (tg && tg.colorScheme) || (params.bg_color && (dark(params.bg_color) ? "dark" : "light"));
    if (scheme) root.setAttribute("data-scheme", scheme);
  }

  function toggles() {
    var form = app.querySelector("form.voucher-form");
    if (!form) return;
    form.querySelectorAll("select[data-meaning-in]").forEach(function (select) {
      var option = select.options[select.selectedIndex];
      var hint = document.getElementById(select.getAttribute("data-meaning-in"));
      if (option && hint) hint.textContent = option.getAttribute("data-meaning");
    });
    form.querySelectorAll("[data-shown-when]").forEach(function (el) {
      var rule = el.getAttribute("data-shown-when").split("=");
      var chosen = form.querySelector('input[name="' + rule[0] + '"]:checked');
      el.hidden = !chosen || chosen.value !== rule[1];
    });
  }

  function tick() {
    var now = Date.now() / 1000;
    app.querySelectorAll("[data-until]").forEach(function (el) {
      var left = Math.max(0, Math.round(Number(el.getAttribute("data-until")) - now));
      el.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    });
  }

  function swap(html, url, isGet) {
    app.innerHTML = html;
    var view = document.getElementById("view");
    if (view && view.lang) document.documentElement.lang = view.lang;
    if (isGet) current = url;
    clearTimeout(timer);
    var every = view && Number(view.getAttribute("data-refresh"));
    if (every) timer = setTimeout(function refresh() {
      // Never pull a form from under a thumb: wait while someone is typing or choosing.
      if (document.activeElement && app.contains(document.activeElement) &&
          document.activeElement.matches("input, select, textarea")) {
        timer = setTimeout(refresh, every * 1000);
        return;
      }
      load(current, null, true);
    }, every * 1000);
    toggles();
    tick();
    if (!isGet || !view) return;
    var heading = view.querySelector("h1");
    if (heading && !view.hasAttribute("data-refresh")) heading.setAttribute("tabindex", "-1");
  }

  function load(url, body, quiet) {
    var options = { method: body ? "POST" : "GET", headers: { "X-Telegram-Init-Data": initData }, credentials: "omit" };
    if (body) options.body = body;
    app.setAttribute("aria-busy", "true");
    return fetch(url, options)
      .then(function (response) { return response.text(); })
      .then(function (html) {
        swap(html, url, !body);
        if (body || !quiet) window.scrollTo(0, 0);
      })
      .catch(function () { if (!quiet) app.setAttribute("data-offline", "true"); })
      .then(function () { app.removeAttribute("aria-busy"); });
  }

  app.addEventListener("click", function (event) {
    var target = event.target.closest("[data-get]");
    if (!target) return;
    event.preventDefault();
    load(target.getAttribute("data-get"));
  });
  app.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-post]");
    if (!form) return;
    event.preventDefault();
    var data = new URLSearchParams(new FormData(form));
    var by = event.submitter;
    if (by && by.name) data.set(by.name, by.value);
    load(form.getAttribute("data-post"), data);
  });
  app.addEventListener("change", toggles);

  theme();
  if (tg) {
    if (tg.onEvent) tg.onEvent("themeChanged", theme);
    if (tg.ready) tg.ready();
    if (tg.expand) tg.expand();
  }
  setInterval(tick, 1000);
  load(current);
})();
