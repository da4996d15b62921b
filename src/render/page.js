// Runs when the page is opened: the diagram and the table must be there and drawn. It also
// writes down the smallest text on the page, as drawn (`data-min-text`, in px), and how much of
// the page's width the diagram takes (`data-diagram-width`, a share): what a projector needs.
// The outcome goes into <body data-check="…">, which tests/page.rs reads with headless Chromium.
(function () {
  var errs = [];
  window.addEventListener('error', function (e) {
    errs.push(String(e.message));
  });
  window.addEventListener('load', function () {
    var svg = document.querySelector('.diagram svg');
    if (!svg) {
      errs.push('no diagram');
    } else {
      var b = svg.getBBox();
      if (b.width < 50 || b.height < 50) {
        errs.push('empty diagram');
      }
    }
    if (document.querySelectorAll('table.trace tbody tr').length === 0) {
      errs.push('empty table');
    }
    // Every element that holds text of its own, at the size it is drawn (an SVG's text is
    // scaled with its drawing).
    var min = 1e9;
    document.querySelectorAll('body *').forEach(function (el) {
      var ownText = Array.prototype.some.call(el.childNodes, function (n) {
        return n.nodeType === 3 && n.textContent.trim();
      });
      if (!ownText || el.closest('title,script,style')) {
        return;
      }
      var px = parseFloat(getComputedStyle(el).fontSize);
      var svgEl = el.closest('svg');
      if (svgEl) {
        px *= svgEl.getScreenCTM().a;
      }
      min = Math.min(min, px);
    });
    document.body.setAttribute('data-min-text', min.toFixed(1));
    if (svg) {
      var share = svg.getBoundingClientRect().width / document.body.clientWidth;
      document.body.setAttribute('data-diagram-width', share.toFixed(2));
    }
    document.body.setAttribute('data-check', errs.length ? 'errors: ' + errs.join('; ') : 'ok');
  });
})();
