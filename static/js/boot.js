// A classic script that runs before the app's modules: if they fail to load or start, say so on the page
// instead of leaving it blank.
(function () {
  function show(message) {
    var banner = document.getElementById("banner");
    var text = document.getElementById("banner-text");
    if (!banner || !text) return;
    text.textContent = message;
    banner.hidden = false;
    // In oauth mode the app (and this banner in it) stays hidden until the sign-in check, which never came.
    if (!document.body.dataset.authState) document.body.dataset.authState = "unknown";
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.getElementById("banner-close").addEventListener("click", function () {
      document.getElementById("banner").hidden = true;
    });
  });
  window.addEventListener(
    "error",
    function (event) {
      if (document.getElementById("app")?.dataset.ready) return; // the app shows its own errors once started
      var target = event.target;
      if (target && target !== window && (target.src || target.href)) {
        show("Navi could not load " + (target.src || target.href) + ". Reload the page to try again.");
      } else {
        show("Navi could not start: " + (event.message || "unknown error") + ". Reload the page to try again.");
      }
    },
    true,
  );
})();
