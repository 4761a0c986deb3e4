/* heard: the participant's check-back page. SPDX-License-Identifier: AGPL-3.0-or-later
 *
 * Why it exists: answering twenty clauses should not mean twenty page loads, and a person on a
 * phone should not lose their place. Each clause's form already works by plain POST; this
 * script sends the same form with fetch (Accept: application/json) when an answer changes or
 * Save is pressed, and writes the server's answer {saved, message, client_key} into that
 * clause's status line (a live region, so it is read out). The server spends each client_key
 * once; it hands back a fresh one for the next save, and a resend after a lost answer reuses
 * the old key, so a save is never kept twice. Saves from one form never overlap: a change made
 * while one is on its way is sent once it is back. Its own words come translated from the page
 * (data-saving, data-failed); messages reach the page as textContent only.
 */
(function () {
  "use strict";

  function hasSomething(form) {
    const answered = Array.from(form.querySelectorAll('input[type="radio"]:checked')).some(
      (input) => input.name !== "quote_consent"
    );
    const comment = form.querySelector("textarea[name=comment]");
    return answered || Boolean(comment && comment.value.trim());
  }

  function show(status, text, state) {
    status.classList.remove("saved", "problem");
    if (state) status.classList.add(state);
    status.textContent = text;
  }

  function clearErrors(form) {
    form.querySelectorAll(".error-summary, .form-errors, .errorlist").forEach((el) => el.remove());
    form.querySelectorAll(".has-error").forEach((el) => el.classList.remove("has-error"));
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  }

  function setUp(form) {
    const status = form.querySelector(".save-status");
    const saving = form.dataset.saving || "Saving…";
    const failed = form.dataset.failed || "Not saved: the connection failed. Press Save to try again.";
    const keyInput = form.querySelector("input[name=client_key]");
    const tokenInput = form.querySelector("input[name=csrfmiddlewaretoken]");
    let busy = false;
    let again = false;

    async function save() {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      show(status, saving, null);
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
          headers: { Accept: "application/json", "X-CSRFToken": tokenInput ? tokenInput.value : "" },
        });
        let answer = null;
        try {
          answer = await response.json();
        } catch (error) {
          answer = null;
        }
        if (answer && answer.saved) {
          if (answer.client_key && keyInput) keyInput.value = answer.client_key;
          clearErrors(form);
          show(status, answer.message, "saved");
        } else if (answer && answer.message) {
          show(status, answer.message, "problem");
        } else {
          // Not an answer this script understands (signed out, a refusal page): let the
          // browser send the form the ordinary way, so the person sees what the server says.
          form.submit();
        }
      } catch (error) {
        show(status, failed, "problem");
      } finally {
        busy = false;
      }
      if (again) {
        again = false;
        save();
      }
    }

    form.addEventListener("change", (event) => {
      if (event.target.type === "radio" && hasSomething(form)) save();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      save();
    });
  }

  document.querySelectorAll("form[data-check-back]").forEach(setUp);
})();
