// The query page's editor: YASGUI's editor (Yasqe) and results table (Yasr), served from this
// service and asking only its own /sparql. Without JavaScript the page's form runs the query.
(function () {
  "use strict";
  const holder = document.getElementById("editor");
  const dataBlock = document.getElementById("editor-data");
  if (!holder || !dataBlock || !window.Yasgui || !window.Yasgui.Yasqe) { return; }
  const data = JSON.parse(dataBlock.textContent);
  const Yasqe = window.Yasgui.Yasqe;
  const Yasr = window.Yasgui.Yasr;
  const endpoint = new URL(data.endpoint, window.location.href).href;
  const ownBase = data.prefixes.kg.replace(/def\/$/, "");  // https://w3id.org/mmr-kg/

  // The server declares the project's prefixes, so the editor's own syntax check must not call
  // them undefined: every query the editor reads starts knowing them.
  const CodeMirror = Object.getPrototypeOf(Yasqe);
  const sparqlMode = CodeMirror.modes && CodeMirror.modes.sparql11;
  if (sparqlMode) {
    CodeMirror.defineMode("sparql11", function (config, modeConfig) {
      const mode = sparqlMode(config, modeConfig);
      const startState = mode.startState;
      mode.startState = function () {
        const state = startState.apply(this, arguments);
        state.prefixes = Object.assign({}, data.prefixes, state.prefixes);
        return state;
      };
      return mode;
    });
  }

  // Only completions that need no other host: variables. (Prefixes are declared by the server;
  // the bundled web-wide prefix list and the LOV term look-ups are left out.)
  Yasqe.defaults.autocompleters = ["variables"];
  const yasqe = new Yasqe(document.getElementById("yasqe"), {
    value: data.query,
    persistenceId: null,
    consumeShareLink: null,
    createShareableLink: function (editor) {
      return window.location.origin + "/query?query=" + encodeURIComponent(editor.getValue());
    },
    editorHeight: "320px",
    requestConfig: { endpoint: endpoint, method: "POST" },
  });
  const yasr = new Yasr(document.getElementById("yasr"), {
    persistenceId: null,
    prefixes: data.prefixes,
    pluginOrder: ["table", "response"],
    defaultPlugin: "table",
    // "Simple view" first: values without an ^^xsd:integer on every number ("Simple view" off shows types).
    plugins: { table: { dynamicConfig: { compact: true } } },
    errorRenderers: [readableError],
  });
  yasqe.on("queryResponse", function (_editor, response, duration) { yasr.setResponse(response, duration); });

  // The endpoint answers errors as JSON {"error", "message", …}: show the message as one line.
  function readableError(error) {
    let message = null;
    try { message = JSON.parse(error.text || "").message; } catch (ignored) { message = null; }
    if (!message) { return Promise.resolve(undefined); }
    const line = document.createElement("p");
    line.className = "error";
    line.id = "editor-error";
    line.textContent = message;
    return Promise.resolve(line);
  }

  // IRIs of this graph open its own page (/resource?iri=); other http(s) IRIs link to themselves;
  // anything else is shown without a link.
  function relink(link) {
    if (link.dataset.relinked) { return; }
    link.dataset.relinked = "1";
    const iri = link.getAttribute("href") || "";
    if (iri.startsWith(ownBase)) {
      link.href = "/resource?iri=" + encodeURIComponent(iri);
      link.removeAttribute("target");
    } else if (/^https?:\/\//i.test(iri)) {
      link.classList.add("ext");
      link.target = "_blank";
      link.rel = "noopener noreferrer";
    } else {
      link.removeAttribute("href");
    }
  }
  new MutationObserver(function () {
    document.querySelectorAll("#yasr a.iri").forEach(relink);
  }).observe(document.getElementById("yasr"), { childList: true, subtree: true });

  // The catalogue's queries as examples: the text the API runs with default parameters.
  const examples = {};
  data.examples.forEach(function (example) { examples[example.name] = example; });
  document.getElementById("example").addEventListener("change", function (event) {
    const example = examples[event.target.value];
    if (example) { yasqe.setValue(example.text); yasqe.focus(); }
  });

  document.getElementById("query-form").hidden = true;
  holder.hidden = false;
  yasqe.refresh();
  if (data.run) { yasqe.query().catch(function () { return null; }); }
}());
