// The desk made live: when the desk's event stream says something changed, each part of the
// page marked data-live is fetched again from the page its attribute names and put in place,
// so a new nomination, a new or changed ticket and a new message appear without reloading.
// A part holding the field being typed in is left alone. Without this script the pages work
// as they are; a reload shows the same.
(function () {
  'use strict';
  if (!window.EventSource || !window.fetch || !document.querySelector('[data-live]')) {
    return;
  }
  var fetching = false;
  var again = false;

  function replace(url, html) {
    var fresh = new DOMParser().parseFromString(html, 'text/html');
    document.querySelectorAll('[data-live]').forEach(function (part) {
      if (part.getAttribute('data-live') !== url || part.contains(document.activeElement)) {
        return;
      }
      var next = fresh.getElementById(part.id);
      if (next) {
        part.replaceWith(document.importNode(next, true));
      }
    });
  }

  function refresh() {
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    var urls = [];
    document.querySelectorAll('[data-live]').forEach(function (part) {
      var url = part.getAttribute('data-live');
      if (urls.indexOf(url) < 0) {
        urls.push(url);
      }
    });
    Promise.all(urls.map(function (url) {
      return fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
        .then(function (response) {
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (html !== null) {
            replace(url, html);
          }
        });
    })).catch(function () {}).then(function () {
      fetching = false;
      if (again) {
        again = false;
        refresh();
      }
    });
  }

  var events = new EventSource('/desk/events');
  events.onopen = function () {
    document.documentElement.setAttribute('data-live-stream', 'open');
  };
  events.addEventListener('changed', refresh);
}());
