(function () {
  /* The filters: by owner ("my key results"), objective (with those aligned to it) and health;
     ?owner=…&objective=…&health=… in the address sets them. */
  var form = document.getElementById("filters");
  if (!form) return;
  var names = ["owner", "objective", "health"];
  var query = new URLSearchParams(window.location.search);
  names.forEach(function (n) { if (query.get(n)) form.elements[n].value = query.get(n); });
  function under(el, id) { return (" " + (el.dataset.objectives || "") + " ").indexOf(" " + id + " ") >= 0; }
  function apply() {
    var owner = form.elements.owner.value, obj = form.elements.objective.value;
    var health = form.elements.health.value, shown = 0;
    document.querySelectorAll("tr.kr").forEach(function (row) {
      var ok = (!owner || row.dataset.owner === owner) && (!obj || under(row, obj)) &&
        (!health || row.dataset.health === health);
      row.classList.toggle("hidden", !ok);
      if (ok) shown += 1;
    });
    document.querySelectorAll("section.objective").forEach(function (sec) {
      var on = !(owner || obj || health) || sec.querySelector("tr.kr:not(.hidden)") !== null ||
        (!owner && !health && under(sec, obj));
      sec.classList.toggle("hidden", !on);
    });
    document.getElementById("shown").textContent =
      (owner || obj || health) ? shown + " key result" + (shown === 1 ? "" : "s") + " shown" : "";
  }
  form.addEventListener("change", apply);
  apply();
})();
