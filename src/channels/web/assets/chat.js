// The web chat made live: forms posted by fetch with their lines added in place, and the
// outbox's messages pushed by server-sent events. Without this script the forms still work.
(function () {
  'use strict';
  var log = document.getElementById('log');
  var ask = document.getElementById('ask');
  var input = document.getElementById('text');

  function scroll() {
    log.scrollTop = log.scrollHeight;
  }

  function apply(data) {
    if (data.html) {
      // Only the newest lines' buttons may be pressed, as on a reload.
      log.querySelectorAll('.choices form').forEach(function (form) {
        form.parentNode.removeChild(form);
      });
      log.insertAdjacentHTML('beforeend', data.html);
    }
    var passcode = !!data.passcode;
    input.type = passcode ? 'password' : 'text';
    input.placeholder = passcode ? ask.dataset.passcodePlaceholder : ask.dataset.placeholder;
    input.setAttribute('aria-label', input.placeholder);
    if (data.lang && data.lang !== document.documentElement.lang) {
      window.location.reload();
      return;
    }
    scroll();
  }

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.hasAttribute('data-reload')) {
      return;
    }
    event.preventDefault();
    var body = new URLSearchParams(new FormData(form));
    if (event.submitter && event.submitter.name) {
      body.append(event.submitter.name, event.submitter.value);
    }
    if (form === ask) {
      input.value = '';
    }
    fetch(form.action, {
      method: 'POST',
      headers: { 'Accept': 'application/json' },
      body: body,
      credentials: 'same-origin'
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (data) {
        apply(data);
      }
      input.focus();
    });
  });

  if (window.EventSource) {
    new EventSource('/chat/events').onmessage = function (event) {
      apply(JSON.parse(event.data));
    };
  }
  scroll();
}());
