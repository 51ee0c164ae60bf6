// Passkey ceremonies of the sandbox (src/authprobe/sandbox/passkeys.py): a button marked
// data-passkey="create" or "get" asks its data-options URL for WebAuthn options, hands them to
// the browser's authenticator and posts the answer to its data-verify URL, then goes where the
// server says. A refusal shows the button's data-failure sentence as an alert. Served as a file
// because the sandbox's CSP forbids inline script; the browser's own JSON helpers do the base64.
"use strict";

(function () {
  function showAlert(text) {
    let box = document.querySelector("[data-passkey-alert]");
    if (!box) {
      box = document.createElement("div");
      box.setAttribute("role", "alert");
      box.setAttribute("data-passkey-alert", "");
      document.querySelector("main h1").after(box);
    }
    box.textContent = text;
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify(body),
    });
  }

  async function ceremony(button) {
    const data = button.dataset;
    const asked = await post(data.options, data.csrf, {});
    const options = await asked.json();
    if (asked.status === 403 && options.reauth) {
      window.location.assign(options.reauth);
      return;
    }
    if (!asked.ok) {
      throw new Error(options.error || "options refused");
    }
    let credential;
    if (data.passkey === "create") {
      const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options);
      credential = await navigator.credentials.create({publicKey});
    } else {
      const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options);
      credential = await navigator.credentials.get({publicKey});
    }
    const answered = await post(data.verify, data.csrf, credential.toJSON());
    const outcome = await answered.json();
    if (!answered.ok) {
      throw new Error(outcome.error || "refused");
    }
    window.location.assign(outcome.next);
  }

  for (const button of document.querySelectorAll("button[data-passkey]")) {
    button.addEventListener("click", async function () {
      button.disabled = true;
      try {
        await ceremony(button);
      } catch (error) {
        showAlert(button.dataset.failure);
      } finally {
        button.disabled = false;
      }
    });
    button.disabled = false;  // rendered disabled: a click before this script ran would be lost
  }
})();
