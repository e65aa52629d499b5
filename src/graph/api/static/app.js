// Small progressive enhancements; every page works without this script.
(function () {
  "use strict";
  const form = document.getElementById("query-form");
  if (!form) { return; }
  const text = document.getElementById("query");
  text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); form.submit(); }
  });
  // Download the current query's results in another format from /sparql.
  document.querySelectorAll("a.dl").forEach(function (link) {
    link.addEventListener("click", async function (event) {
      event.preventDefault();
      const response = await fetch("/sparql", {
        method: "POST",
        headers: { "Content-Type": "application/sparql-query", "Accept": link.dataset.accept },
        body: text.value,
      });
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url; a.download = "results." + link.textContent.trim(); a.click();
      URL.revokeObjectURL(url);
    });
  });
}());
