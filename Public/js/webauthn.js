// Passkeys (SPEC §12): the WebAuthn ceremonies of the sign-in, two-factor, sudo and security
// pages. Options and results travel as WebAuthn Level 3 JSON (base64url); JSON calls carry the
// page's CSRF token as X-CSRF-Token.
(function () {
  "use strict";
  var b64u = {
    toBytes: function (s) {
      s = s.replace(/-/g, "+").replace(/_/g, "/");
      while (s.length % 4) s += "=";
      var bin = atob(s), out = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
      return out.buffer;
    },
    fromBytes: function (buf) {
      var bytes = new Uint8Array(buf), bin = "";
      for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
      return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    }
  };

  function creationOptions(json) {
    if (window.PublicKeyCredential && PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    var o = Object.assign({}, json, { challenge: b64u.toBytes(json.challenge), user: Object.assign({}, json.user, { id: b64u.toBytes(json.user.id) }) });
    o.excludeCredentials = (json.excludeCredentials || []).map(function (c) { return Object.assign({}, c, { id: b64u.toBytes(c.id) }); });
    return o;
  }

  function requestOptions(json) {
    if (window.PublicKeyCredential && PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    var o = Object.assign({}, json, { challenge: b64u.toBytes(json.challenge) });
    o.allowCredentials = (json.allowCredentials || []).map(function (c) { return Object.assign({}, c, { id: b64u.toBytes(c.id) }); });
    return o;
  }

  function credentialJSON(cred) {
    if (typeof cred.toJSON === "function") return cred.toJSON();
    var r = cred.response, response = { clientDataJSON: b64u.fromBytes(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = b64u.fromBytes(r.attestationObject);
      response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
    } else {
      response.authenticatorData = b64u.fromBytes(r.authenticatorData);
      response.signature = b64u.fromBytes(r.signature);
      if (r.userHandle) response.userHandle = b64u.fromBytes(r.userHandle);
    }
    return { id: cred.id, rawId: b64u.fromBytes(cred.rawId), type: cred.type, response: response,
             clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
             authenticatorAttachment: cred.authenticatorAttachment || undefined };
  }

  function post(url, csrf, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
                        body: JSON.stringify(body || {}) })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (data) {
          if (!res.ok) throw new Error(data.error || data.message || "The request failed (" + res.status + ").");
          return data;
        });
      });
  }

  function showError(scope, error) {
    var box = scope.querySelector("[data-passkey-error]");
    var text = error && error.name === "NotAllowedError" ? "The passkey request was cancelled or timed out." : (error && error.message) || String(error);
    if (box) { box.textContent = text; box.hidden = false; } else { alert(text); }
  }

  function unsupported() {
    return !window.PublicKeyCredential || !navigator.credentials;
  }

  // Sign in, second factor: options, navigator.credentials.get, the assertion; then go on.
  document.querySelectorAll("[data-passkey-assert]").forEach(function (button) {
    button.addEventListener("click", function () {
      var scope = button.parentElement;
      if (unsupported()) return showError(scope, new Error("This browser does not support passkeys."));
      var csrf = button.getAttribute("data-csrf");
      button.disabled = true;
      post(button.getAttribute("data-passkey-options"), csrf)
        .then(function (options) { return navigator.credentials.get({ publicKey: requestOptions(options) }); })
        .then(function (cred) { return post(button.getAttribute("data-passkey-assert"), csrf, { credential: credentialJSON(cred), next: button.getAttribute("data-next") || null }); })
        .then(function (done) { window.location.assign(done.redirect || "/"); })
        .catch(function (error) { button.disabled = false; showError(scope, error); });
    });
  });

  // Sudo prompt: the assertion goes into the form in place of the password.
  document.querySelectorAll("[data-passkey-sudo]").forEach(function (button) {
    button.addEventListener("click", function () {
      var form = document.querySelector("input[name=sudo_request]").form;
      if (unsupported()) return showError(button.parentElement, new Error("This browser does not support passkeys."));
      button.disabled = true;
      post(button.getAttribute("data-passkey-options"), button.getAttribute("data-csrf"))
        .then(function (options) { return navigator.credentials.get({ publicKey: requestOptions(options) }); })
        .then(function (cred) {
          form.querySelector("input[name=passkey]").value = JSON.stringify(credentialJSON(cred));
          var password = form.querySelector("input[name=password]");
          if (password) password.required = false;
          form.submit();
        })
        .catch(function (error) { button.disabled = false; showError(button.parentElement, error); });
    });
  });

  // Security settings: a new passkey with the name typed in the form.
  document.querySelectorAll("form[data-passkey-register]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (unsupported()) return showError(form, new Error("This browser does not support passkeys."));
      var csrf = form.querySelector("input[name=csrf_token]").value;
      var name = form.querySelector("input[name=name]").value;
      var submit = form.querySelector("button[type=submit]");
      submit.disabled = true;
      post(form.getAttribute("data-passkey-options"), csrf)
        .then(function (options) { return navigator.credentials.create({ publicKey: creationOptions(options) }); })
        .then(function (cred) { return post(form.getAttribute("action"), csrf, { name: name, credential: credentialJSON(cred) }); })
        .then(function (done) { window.location.assign(done.redirect || "/settings/security"); })
        .catch(function (error) { submit.disabled = false; showError(form, error); });
    });
  });
})();
