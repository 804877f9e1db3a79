// ---------------------------------------------------------------------------
// The observatory's weekly price index, drawn by the server.
//
// ObservatoryService (GET /v1/observatory/index.svg, …/series.svg, and the
// JSON at /v1/observatory/index and /v1/observatory/series) is being added
// to the service separately. This section asks for the index chart and
// shows it only when the service answers it with an SVG (200), so it
// appears by itself once that service exists, and never as a broken image
// before.
// ---------------------------------------------------------------------------
import { useEffect, useState } from "preact/hooks";
import { t } from "../../i18n";

export function ObservatoryIndexSection(props: { currency: string }) {
  const src = `/v1/observatory/index.svg?currencyCode=${encodeURIComponent(props.currency)}`;
  const [available, setAvailable] = useState(false);
  useEffect(() => {
    let live = true;
    setAvailable(false);
    fetch(src)
      .then((res) => {
        if (live) setAvailable(res.status === 200 && (res.headers.get("Content-Type") ?? "").includes("svg"));
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [src]);
  if (!available) return null;
  return (
    <section aria-labelledby="index-title" class="card">
      <h2 id="index-title">{t("public.index.title")}</h2>
      <p>{t("public.index.intro")}</p>
      <img class="index-chart" src={src} alt={t("public.index.alt", { currency: props.currency })} />
      <p>
        <a href="/v1/observatory/index">{t("public.index.data")}</a>
      </p>
    </section>
  );
}
