// The web chat in a corner panel of any page: <script src="https://HOST/widget.js"></script>
// adds a round button that opens and closes /chat of the same HOST in an iframe.
(function () {
  'use strict';
  var labels = /*LABELS*/{};
  var script = document.currentScript;
  var origin = new URL(script.src).origin;
  var lang = (document.documentElement.lang || navigator.language || 'ja').slice(0, 2);
  var said = labels[lang] || labels.ja;

  var panel = document.createElement('iframe');
  panel.src = origin + '/chat';
  panel.title = said.title;
  panel.style.cssText = 'position:fixed;right:16px;bottom:88px;width:min(380px,calc(100vw - 32px));' +
    'height:min(600px,calc(100vh - 120px));border:1px solid #dde1e6;border-radius:12px;' +
    'box-shadow:0 8px 24px rgba(0,0,0,.18);background:#fff;z-index:2147483646;display:none;';

  var button = document.createElement('button');
  button.type = 'button';
  button.textContent = '?';
  button.setAttribute('aria-label', said.open);
  button.title = said.open;
  button.style.cssText = 'position:fixed;right:16px;bottom:16px;width:56px;height:56px;' +
    'border-radius:50%;border:0;background:#0f62fe;color:#fff;font:600 24px/1 sans-serif;' +
    'box-shadow:0 4px 12px rgba(0,0,0,.25);cursor:pointer;z-index:2147483647;';
  button.addEventListener('click', function () {
    var open = panel.style.display === 'none';
    panel.style.display = open ? 'block' : 'none';
    button.textContent = open ? '\u00d7' : '?';
    button.setAttribute('aria-label', open ? said.close : said.open);
    button.title = open ? said.close : said.open;
  });

  function place() {
    document.body.appendChild(panel);
    document.body.appendChild(button);
  }
  if (document.body) {
    place();
  } else {
    document.addEventListener('DOMContentLoaded', place);
  }
}());
