import { render } from "preact";
import { App } from "./app";
import { startOutbox } from "./offline/outbox";
import { lang } from "./i18n";
import "./styles.css";

document.documentElement.lang = lang();
render(<App />, document.getElementById("app")!);
startOutbox();

if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {
      // The console works without it; only offline start-up is lost.
    });
  });
}
