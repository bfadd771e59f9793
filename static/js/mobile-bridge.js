// The mobile bridge page: hand the new session to the Android app at once; the button stays for browsers
// that block navigation to an app without a tap.
document.addEventListener("DOMContentLoaded", function () {
  var link = document.getElementById("open-app");
  if (link) window.location.href = link.href;
});
