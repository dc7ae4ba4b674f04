// Quick answers: a click puts the snippet's text in the message box, ready to edit. Without
// JavaScript the buttons do nothing and staff type the message (each shows its text on hover).
(function () {
  "use strict";
  var box = document.getElementById("text");
  if (!box) { return; }
  document.querySelectorAll("button.snippet").forEach(function (button) {
    button.addEventListener("click", function () {
      box.value = button.getAttribute("data-text") || "";
      box.focus();
    });
  });
})();
