/* heard: the facilitator capture page. SPDX-License-Identifier: AGPL-3.0-or-later
 *
 * Why it is built this way: at a hui the network comes and goes, and words captured there
 * cannot be asked for again. So every entry gets a client UUID and is written to localStorage
 * BEFORE any network call; a sync loop then sends waiting entries in batches and removes an
 * entry only when the server has confirmed it kept it ("kept" or "duplicate"). The server is
 * idempotent on the client UUID, so a resend never keeps words twice. Entries the server
 * refuses stay on the device, with their words and the reason, until the facilitator deals
 * with them. User text only ever reaches the page through textContent/value, never innerHTML.
 *
 * Storage layout (one key per entry so two tabs never overwrite each other's entries):
 *   <prefix>item.<uuid>  {client_key, text, speaker, language, question, quote_consent,
 *                         channel, said_at, state: "waiting"|"refused", errors}
 *   <prefix>log          [{client_key, id, status, excerpt, speaker, language, said_at}]
 *   <prefix>sticky       {speaker, language, languageOther, question, channel}
 *   <prefix>consent      {speaker tag: quote consent}
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("capture-config").textContent);
  const S = config.strings;
  const ITEM = config.storagePrefix + "item.";
  const LOG = config.storagePrefix + "log";
  const STICKY = config.storagePrefix + "sticky";
  const CONSENT = config.storagePrefix + "consent";
  const LOG_LIMIT = 200;
  const SHOWN_LIMIT = 300;
  const EXCERPT = 280;
  const BATCH_ITEMS = 25;
  const BATCH_CHARS = 400000;
  const REQUEST_TIMEOUT_MS = 30000;
  const LANGUAGE_TAG = /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/;

  const $ = (id) => document.getElementById(id);
  const form = $("capture-form");
  const textEl = $("capture-text");
  const speakerEl = $("capture-speaker");
  const languageEl = $("capture-language");
  const languageOtherEl = $("capture-language-other");
  const languageOtherField = $("capture-language-other-field");
  const questionEl = $("capture-question");
  const channelEl = $("capture-channel");
  const consentEls = Array.from(form.querySelectorAll('input[name="quote_consent"]'));
  const formErrorEl = $("capture-form-error");
  const waitingEl = $("capture-waiting");
  const connectionEl = $("capture-connection");
  const attentionCountEl = $("capture-attention-count");
  const announceEl = $("capture-announce");
  const problemEl = $("capture-problem");
  const problemTextEl = $("capture-problem-text");
  const signInEl = $("capture-sign-in");
  const logEl = $("capture-log");

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
  }

  /* ---------- storage ---------- */

  function memoryStorage() {
    const map = new Map();
    return {
      get length() { return map.size; },
      key: (i) => Array.from(map.keys())[i] ?? null,
      getItem: (k) => (map.has(k) ? map.get(k) : null),
      setItem: (k, v) => { map.set(k, String(v)); },
      removeItem: (k) => { map.delete(k); },
    };
  }

  let persistent = true;
  const store = (function () {
    try {
      const probe = config.storagePrefix + "probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (error) {
      persistent = false; // private mode or storage disabled: say so, keep working
      return memoryStorage();
    }
  })();

  function readJSON(key, fallback) {
    try {
      const raw = store.getItem(key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (error) {
      return fallback;
    }
  }

  function writeJSON(key, value) {
    store.setItem(key, JSON.stringify(value)); // may throw QuotaExceededError: callers decide
  }

  function allItems() {
    const items = [];
    for (let i = 0; i < store.length; i++) {
      const key = store.key(i);
      if (key && key.startsWith(ITEM)) {
        const item = readJSON(key, null);
        if (item && item.client_key) items.push(item);
      }
    }
    items.sort((a, b) => (a.said_at < b.said_at ? -1 : a.said_at > b.said_at ? 1 : a.seq - b.seq));
    return items;
  }

  function waitingItems() {
    return allItems().filter((item) => item.state === "waiting");
  }

  function addToLog(item, result) {
    try {
      const log = readJSON(LOG, []);
      log.push({
        client_key: item.client_key,
        id: result.id,
        status: result.status,
        excerpt: excerpt(item.text),
        speaker: item.speaker,
        language: item.language,
        said_at: item.said_at,
      });
      writeJSON(LOG, log.slice(-LOG_LIMIT));
    } catch (error) {
      /* The log is only a display; the words are on the server already. */
    }
  }

  function excerpt(text) {
    const chars = Array.from(text);
    return chars.length > EXCERPT ? chars.slice(0, EXCERPT).join("") + "…" : text;
  }

  /* ---------- ids ---------- */

  function newClientKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // crypto.randomUUID needs a secure context; a hui laptop on plain http over a LAN may not
    // be one. getRandomValues is available everywhere: build a version 4 UUID from it.
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  /* ---------- sticky choices ---------- */

  function consentFor(speaker) {
    return readJSON(CONSENT, {})[speaker.trim()] || "";
  }

  function setConsent(value) {
    consentEls.forEach((el) => { el.checked = el.value === value; });
  }

  function chosenConsent() {
    const el = consentEls.find((e) => e.checked);
    return el ? el.value : "";
  }

  function rememberChoices() {
    try {
      writeJSON(STICKY, {
        speaker: speakerEl.value,
        language: languageEl.value,
        languageOther: languageOtherEl.value,
        question: questionEl.value,
        channel: channelEl.value,
      });
      const consent = chosenConsent();
      if (consent) {
        const bySpeaker = readJSON(CONSENT, {});
        bySpeaker[speakerEl.value.trim()] = consent;
        writeJSON(CONSENT, bySpeaker);
      }
    } catch (error) {
      /* Only convenience is lost. */
    }
  }

  function selectIfPresent(select, value) {
    if (value !== undefined && Array.from(select.options).some((o) => o.value === value)) {
      select.value = value;
    }
  }

  function restoreChoices() {
    const sticky = readJSON(STICKY, {});
    if (typeof sticky.speaker === "string") speakerEl.value = sticky.speaker;
    selectIfPresent(languageEl, sticky.language);
    if (typeof sticky.languageOther === "string") languageOtherEl.value = sticky.languageOther;
    selectIfPresent(questionEl, sticky.question);
    selectIfPresent(channelEl, sticky.channel);
    setConsent(consentFor(speakerEl.value));
    showLanguageOther();
  }

  function showLanguageOther() {
    languageOtherField.hidden = languageEl.value !== "other";
  }

  /* ---------- capturing ---------- */

  let seq = 0;
  let replacing = null; // a refused entry put back in the form: removed once its new copy is kept

  function formError(message, focusEl) {
    formErrorEl.textContent = message;
    if (focusEl) focusEl.focus();
  }

  function capture() {
    formErrorEl.textContent = "";
    const text = textEl.value; // exactly as typed (the textarea already gives "\n" newlines)
    if (!text.trim()) return formError(S.need_text, textEl);
    const length = Array.from(text).length; // code points, as the server counts
    if (length > config.maxChars) {
      return formError(format(S.too_long, { n: length, max: config.maxChars }), textEl);
    }
    if (speakerEl.value.trim().length > config.speakerMax) {
      return formError(S.speaker_too_long, speakerEl);
    }
    let language = languageEl.value;
    if (language === "other") {
      language = languageOtherEl.value.trim();
      if (!LANGUAGE_TAG.test(language)) return formError(S.need_language, languageOtherEl);
    }
    const consent = chosenConsent();
    if (!consent) return formError(S.need_consent, consentEls[0]);

    const item = {
      client_key: newClientKey(),
      text: text,
      speaker: speakerEl.value,
      language: language,
      question: questionEl.value || null,
      quote_consent: consent,
      channel: channelEl.value,
      said_at: new Date().toISOString(),
      seq: seq++,
      state: "waiting",
      errors: [],
    };
    try {
      writeJSON(ITEM + item.client_key, item);
    } catch (error) {
      return formError(S.storage_full, textEl); // the words stay in the box
    }
    if (replacing) {
      store.removeItem(ITEM + replacing);
      replacing = null;
    }
    rememberChoices();
    textEl.value = "";
    textEl.focus();
    announce(S.kept_locally);
    render();
    syncSoon(0);
  }

  function announce(message) {
    announceEl.textContent = message;
  }

  /* ---------- syncing ---------- */

  let syncing = false;
  let failures = 0;
  let retryTimer = null;

  function csrfToken() {
    const name = config.csrfCookieName + "=";
    for (const part of document.cookie.split(";")) {
      const cookie = part.trim();
      if (cookie.startsWith(name)) return decodeURIComponent(cookie.slice(name.length));
    }
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function takeBatch() {
    const batch = [];
    let chars = 0;
    for (const item of waitingItems()) {
      if (batch.length >= BATCH_ITEMS || (batch.length && chars + item.text.length > BATCH_CHARS)) break;
      chars += item.text.length;
      batch.push(item);
    }
    return batch;
  }

  function payload(item) {
    return {
      client_key: item.client_key,
      text: item.text,
      speaker: item.speaker,
      language: item.language,
      question: item.question,
      quote_consent: item.quote_consent,
      channel: item.channel,
      said_at: item.said_at,
    };
  }

  function showProblem(message, withSignIn) {
    problemTextEl.textContent = message;
    signInEl.hidden = !withSignIn;
    problemEl.hidden = false;
  }

  function clearProblem() {
    problemEl.hidden = true;
    problemTextEl.textContent = "";
    signInEl.hidden = true;
  }

  function syncSoon(delay) {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = setTimeout(() => { retryTimer = null; sync(); }, delay);
  }

  function backOff() {
    failures += 1;
    const delay = Math.min(60000, 1000 * 2 ** Math.min(failures, 6)) + Math.floor(Math.random() * 500);
    syncSoon(delay);
  }

  async function post(batch) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      return await fetch(config.syncUrl, {
        method: "POST",
        credentials: "same-origin",
        redirect: "manual",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrfToken(),
        },
        body: JSON.stringify({ items: batch.map(payload) }),
        signal: controller.signal,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  async function readError(response) {
    try {
      const data = await response.json();
      return data && typeof data.error === "string" ? data.error : "";
    } catch (error) {
      return "";
    }
  }

  function applyResults(batch, results) {
    const byKey = new Map(batch.map((item) => [item.client_key, item]));
    let progress = 0;
    for (const result of results) {
      const item = byKey.get(result && result.client_key);
      if (!item) continue;
      byKey.delete(item.client_key);
      progress += 1;
      if (result.status === "kept" || result.status === "duplicate") {
        addToLog(item, result);
        store.removeItem(ITEM + item.client_key);
      } else {
        const errors = Array.isArray(result.errors) && result.errors.length ? result.errors : ["?"];
        try {
          writeJSON(ITEM + item.client_key, Object.assign({}, item, { state: "refused", errors: errors }));
        } catch (error) {
          /* Storage full: the entry stays as it was (waiting) rather than be lost. */
        }
      }
    }
    return progress;
  }

  async function sync() {
    if (syncing) return;
    if (!navigator.onLine) { render(); return; } // the "online" event brings us back
    syncing = true;
    render();
    try {
      for (;;) {
        const batch = takeBatch();
        if (!batch.length) break;
        let response;
        try {
          response = await post(batch);
        } catch (error) {
          showProblem(S.network_error, false);
          backOff();
          return;
        }
        if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
          showProblem((await readError(response)) || S.signed_out, true);
          backOff();
          return;
        }
        if (!response.ok) {
          showProblem((await readError(response)) || S.server_error, false);
          backOff();
          return;
        }
        let data;
        try {
          data = await response.json();
        } catch (error) {
          showProblem(S.server_error, false);
          backOff();
          return;
        }
        const progress = applyResults(batch, Array.isArray(data.results) ? data.results : []);
        render();
        if (!progress) { showProblem(S.server_error, false); backOff(); return; }
      }
      failures = 0;
      clearProblem();
      announce("");
    } finally {
      syncing = false;
      render();
    }
  }

  /* ---------- showing ---------- */

  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function button(label, onClick, className) {
    const el = element("button", className || "secondary", label);
    el.type = "button";
    el.addEventListener("click", onClick);
    return el;
  }

  function meta(entry) {
    const speaker = entry.speaker && entry.speaker.trim() ? entry.speaker : S.someone;
    const when = entry.said_at ? new Date(entry.said_at).toLocaleTimeString() : "";
    return [S.speaker_label + ": " + speaker, entry.language, when].filter(Boolean).join(" · ");
  }

  function stateText(entry) {
    if (entry.state === "waiting") return S.state_waiting;
    if (entry.state === "refused") return format(S.state_refused, { reason: entry.errors.join(" ") });
    if (entry.status === "duplicate") return format(S.state_duplicate, { id: entry.id });
    return format(S.state_sent, { id: entry.id });
  }

  function renderEntry(entry) {
    const li = element("li");
    li.dataset.clientKey = entry.client_key;
    li.dataset.state = entry.state;
    li.appendChild(element("p", "state", stateText(entry)));
    li.appendChild(element("p", "contribution-meta", meta(entry)));
    if (entry.state === "refused") {
      // The whole text, selectable, so nothing the server refused is lost.
      const words = element("textarea");
      words.readOnly = true;
      words.value = entry.text;
      words.lang = entry.language;
      words.setAttribute("aria-label", S.copy);
      li.appendChild(words);
      const actions = element("div", "actions");
      actions.appendChild(button(S.copy, () => copyWords(entry, words)));
      actions.appendChild(button(S.put_back, () => putBack(entry)));
      actions.appendChild(button(S.discard, () => discard(entry), "danger"));
      li.appendChild(actions);
    } else {
      const quote = element("blockquote", "quote", entry.state === "waiting" ? excerpt(entry.text) : entry.excerpt);
      quote.lang = entry.language;
      li.appendChild(quote);
    }
    return li;
  }

  function render() {
    const items = allItems();
    const waiting = items.filter((item) => item.state === "waiting").length;
    const refused = items.filter((item) => item.state === "refused").length;
    const waitingText = format(waiting === 1 ? S.waiting_one : S.waiting_other, { n: waiting });
    if (waitingEl.textContent !== waitingText) waitingEl.textContent = waitingText;
    const online = navigator.onLine;
    const connection = online ? (syncing ? S.online + " · " + S.sending : S.online) : S.offline;
    if (connectionEl.textContent !== connection) connectionEl.textContent = connection;
    connectionEl.dataset.online = String(online);
    const attention = refused
      ? format(refused === 1 ? S.attention_one : S.attention_other, { n: refused })
      : "";
    if (attentionCountEl.textContent !== attention) attentionCountEl.textContent = attention;

    const log = readJSON(LOG, []).map((entry) => Object.assign({ state: "sent" }, entry));
    const known = new Set(items.map((item) => item.client_key));
    const entries = items.concat(log.filter((entry) => !known.has(entry.client_key)));
    entries.sort((a, b) => (a.said_at < b.said_at ? 1 : a.said_at > b.said_at ? -1 : 0));
    const fragment = document.createDocumentFragment();
    entries.slice(0, SHOWN_LIMIT).forEach((entry) => fragment.appendChild(renderEntry(entry)));
    logEl.replaceChildren(fragment);
  }

  function copyWords(entry, textarea) {
    const done = () => announce(S.copied);
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(entry.text).then(done, () => { textarea.select(); });
    } else {
      textarea.focus();
      textarea.select();
    }
  }

  function putBack(entry) {
    if (textEl.value.trim()) { formError(S.put_back_busy, textEl); return; }
    textEl.value = entry.text;
    speakerEl.value = entry.speaker || "";
    if (Array.from(languageEl.options).some((o) => o.value === entry.language && o.value !== "other")) {
      languageEl.value = entry.language;
    } else {
      languageEl.value = "other";
      languageOtherEl.value = entry.language;
    }
    showLanguageOther();
    selectIfPresent(questionEl, entry.question || "");
    selectIfPresent(channelEl, entry.channel);
    setConsent(entry.quote_consent);
    replacing = entry.client_key; // the refused copy stays stored until the new one is kept
    textEl.focus();
  }

  function discard(entry) {
    if (window.confirm(S.discard_confirm)) {
      store.removeItem(ITEM + entry.client_key);
      if (replacing === entry.client_key) replacing = null;
      render();
      textEl.focus();
    }
  }

  /* ---------- wiring ---------- */

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    capture();
  });

  form.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.isComposing) return;
    if (event.ctrlKey || event.metaKey) {
      event.preventDefault();
      capture();
      return;
    }
    // Plain Enter: a new line in the text box; in a small field, back to the text box rather
    // than an accidental send.
    const target = event.target;
    if (target instanceof HTMLInputElement) {
      event.preventDefault();
      textEl.focus();
    }
  });

  speakerEl.addEventListener("input", () => {
    // Consent belongs to the person: a new speaker tag must be asked again, a known one
    // brings back what that person said.
    setConsent(consentFor(speakerEl.value));
  });
  languageEl.addEventListener("change", showLanguageOther);
  [languageEl, languageOtherEl, questionEl, channelEl].forEach((el) => el.addEventListener("change", rememberChoices));
  consentEls.forEach((el) => el.addEventListener("change", rememberChoices));

  window.addEventListener("online", () => { failures = 0; render(); syncSoon(0); });
  window.addEventListener("offline", render);
  window.addEventListener("focus", () => { if (!syncing) syncSoon(0); });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") syncSoon(0);
  });
  window.addEventListener("storage", (event) => {
    if (event.key === null || event.key.startsWith(config.storagePrefix)) render();
  });

  if (!persistent) showProblem(S.no_storage, false);
  restoreChoices();
  render();
  syncSoon(0);
  textEl.focus();

  if ("serviceWorker" in navigator && window.isSecureContext && config.serviceWorkerUrl) {
    const url = config.serviceWorkerUrl + "?assets=" + encodeURIComponent(config.assets.join(","));
    navigator.serviceWorker.register(url).catch(() => { /* the page still works online */ });
  }
})();
