// The application shell: the header with the navigation of the signed-in
// key's role, the language switch and what waits to be sent, and the page
// the path names.
import { useEffect, useState } from "preact/hooks";
import { Link, match, navigate, useLocation } from "./router";
import { routes, type Route } from "./views/routes";
import { setLang, t, useLang } from "./i18n";
import { me, signOut, useMe, type Me } from "./session";
import { usePending } from "./offline/outbox";
import { SignIn } from "./views/signin";
import { Home } from "./views/home";
import { PendingPage } from "./views/pending";

/** visible says whether who may open route. */
export function visible(route: Route, who: Me | null): boolean {
  if (route.roles === "public") return true;
  if (!who?.role) return false;
  return who.role === "ROLE_ADMIN" || route.roles.includes(who.role);
}

function useOnline(): boolean {
  const [on, set] = useState(navigator.onLine);
  useEffect(() => {
    const up = () => set(true);
    const down = () => set(false);
    window.addEventListener("online", up);
    window.addEventListener("offline", down);
    return () => {
      window.removeEventListener("online", up);
      window.removeEventListener("offline", down);
    };
  }, []);
  return on;
}

function Header(props: { who: Me | null; path: string }) {
  const l = useLang();
  const online = useOnline();
  const pending = usePending();
  const [open, setOpen] = useState(false);
  const nav = routes.filter((r) => r.nav && visible(r, props.who) && (r.roles !== "public" || !props.who || r.path === "/observatorio"));
  const waiting = pending.filter((p) => !p.error).length;
  const refused = pending.length - waiting;
  return (
    <header class="top">
      <div class="bar">
        <Link href="/" class="brand">
          Millwa
        </Link>
        {!online && (
          <span class="badge warn" role="status">
            {t("common.offline")}
          </span>
        )}
        {pending.length > 0 && (
          <Link href="/pendientes" class={`badge ${refused ? "error" : "info"}`} aria-live="polite">
            {t("common.pending", { n: pending.length })}
          </Link>
        )}
        <span class="spacer" />
        <button
          type="button"
          class="link"
          onClick={() => setLang(l === "es" ? "en" : "es")}
          title={t("common.switchLanguage")}
          lang={l === "es" ? "en" : "es"}
        >
          {l === "es" ? "English" : "Español"}
        </button>
        <button type="button" class="menu" aria-expanded={open} aria-controls="nav" onClick={() => setOpen(!open)}>
          {t("common.menu")}
        </button>
      </div>
      <nav id="nav" class={open ? "open" : ""} aria-label={t("common.navigation")} onClick={() => setOpen(false)}>
        <ul>
          {nav.map((r) => (
            <li key={r.path}>
              <Link href={r.path} aria-current={props.path === r.path ? "page" : undefined}>
                {t(r.nav!)}
              </Link>
            </li>
          ))}
          {props.who ? (
            <li>
              <button
                type="button"
                class="link"
                onClick={() => {
                  signOut();
                  navigate("/");
                }}
              >
                {t("common.signOut", { name: props.who.displayName ?? "" })}
              </button>
            </li>
          ) : (
            <li>
              <Link href="/ingresar">{t("common.signIn")}</Link>
            </li>
          )}
        </ul>
      </nav>
    </header>
  );
}

export function App() {
  useLang();
  const { path } = useLocation();
  const who = useMe();
  let page;
  if (path === "/") page = <Home who={who} />;
  else if (path === "/ingresar") page = <SignIn />;
  else if (path === "/pendientes") page = <PendingPage />;
  else {
    for (const r of routes) {
      const params = match(r.path, path);
      if (!params) continue;
      if (!visible(r, who)) {
        page = who ? <NotAllowed /> : <SignIn next={path} />;
      } else {
        const View = r.view;
        page = <View params={params} />;
      }
      break;
    }
    page ??= <NotFound />;
  }
  return (
    <>
      <a class="skip" href="#main">
        {t("common.skipToContent")}
      </a>
      <Header who={who} path={path} />
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

function NotFound() {
  return (
    <section class="page">
      <h1>{t("common.notFound.title")}</h1>
      <p>{t("common.notFound.text")}</p>
      <Link href="/">{t("common.backHome")}</Link>
    </section>
  );
}

function NotAllowed() {
  return (
    <section class="page">
      <h1>{t("common.notAllowed.title")}</h1>
      <p>{t("common.notAllowed.text", { name: me()?.displayName ?? "" })}</p>
      <Link href="/">{t("common.backHome")}</Link>
    </section>
  );
}
