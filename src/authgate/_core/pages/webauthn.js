// authgate: the only script of the built-in pages. Passkeys (WebAuthn) on the sign-in page and
// the passkeys page, and a security key as the second factor on the two-factor page. Progressive: the passkey forms stay hidden without it (or without WebAuthn)
// and everything else on the page works as before. No inline handlers, no third-party code.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function toBuffer(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    b64 += "===".slice((b64.length + 3) % 4);
    var binary = atob(b64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (c) {
      return { type: c.type, id: toBuffer(c.id), transports: c.transports };
    });
  }

  function creationOptions(o) {
    var options = Object.assign({}, o, {
      challenge: toBuffer(o.challenge),
      user: Object.assign({}, o.user, { id: toBuffer(o.user.id) }),
      excludeCredentials: descriptors(o.excludeCredentials),
    });
    return { publicKey: options };
  }

  function requestOptions(o, mediation, signal) {
    var options = Object.assign({}, o, {
      challenge: toBuffer(o.challenge),
      allowCredentials: descriptors(o.allowCredentials),
    });
    var request = { publicKey: options };
    if (mediation) request.mediation = mediation;
    if (signal) request.signal = signal;
    return request;
  }

  function common(credential) {
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
    };
  }

  function registrationJSON(credential) {
    var r = credential.response;
    var out = common(credential);
    out.response = {
      clientDataJSON: toText(r.clientDataJSON),
      attestationObject: toText(r.attestationObject),
      transports: r.getTransports ? r.getTransports() : [],
    };
    return out;
  }

  function authenticationJSON(credential) {
    var r = credential.response;
    var out = common(credential);
    out.response = {
      clientDataJSON: toText(r.clientDataJSON),
      authenticatorData: toText(r.authenticatorData),
      signature: toText(r.signature),
      userHandle: r.userHandle ? toText(r.userHandle) : undefined,
    };
    return out;
  }

  function status(form, text) {
    var out = form.querySelector("[data-passkey-status]");
    if (out) out.textContent = text;
  }

  var conditional = null;

  function run(form, wanted, mediation, signal) {
    var params = new URLSearchParams({ action: wanted });
    var email = form.querySelector("input[name=email]");
    if (wanted === "register" && email && email.value) params.set("email", email.value);
    return fetch(form.getAttribute("data-options") + "?" + params.toString(), {
      credentials: "same-origin",
      headers: { accept: "application/json" },
    })
      .then(function (res) {
        if (!res.ok) throw new Error("options " + res.status);
        return res.json();
      })
      .then(function (answer) {
        var pending =
          answer.action === "register"
            ? navigator.credentials.create(creationOptions(answer.options))
            : navigator.credentials.get(requestOptions(answer.options, mediation, signal));
        return pending.then(function (credential) {
          if (!credential) throw new Error("no credential");
          form.elements.action.value = answer.action;
          form.elements.data.value = JSON.stringify(
            answer.action === "register"
              ? registrationJSON(credential)
              : authenticationJSON(credential)
          );
          form.submit();
        });
      });
  }

  var forms = document.querySelectorAll("form[data-passkey]");
  Array.prototype.forEach.call(forms, function (form) {
    var box = form.closest("[data-passkey-box]") || form;
    box.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (conditional) {
        conditional.abort();
        conditional = null;
      }
      var wanted = (event.submitter && event.submitter.value) || form.getAttribute("data-passkey");
      status(form, "");
      run(form, wanted).catch(function () {
        status(form, form.getAttribute("data-failed") || "Passkey failed.");
      });
    });
  });

  var auto = document.querySelector("form[data-passkey-conditional]");
  if (auto && window.AbortController && PublicKeyCredential.isConditionalMediationAvailable) {
    PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
      if (!available || conditional) return;
      conditional = new AbortController();
      run(auto, "authenticate", "conditional", conditional.signal).catch(function () {});
    });
  }
})();
