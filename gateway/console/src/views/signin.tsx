// Sign-in with an API key. The key is checked with WhoAmI and kept for the
// tab's session only; the pages that follow are those of its role.
import { useState } from "preact/hooks";
import { api, ApiError, must } from "../api/client";
import { t } from "../i18n";
import { navigate, Link } from "../router";
import { signIn } from "../session";
import { ErrorBox, Field, Page } from "../ui/ui";

export function SignIn(props: { next?: string }) {
  const [key, setKey] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function submit(e: Event) {
    e.preventDefault();
    const k = key.trim();
    if (!k) {
      setError(new Error(t("signin.keyRequired")));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const who = await must(api.GET("/v1/me", { headers: { Authorization: `Bearer ${k}` } }));
      signIn(k, who);
      navigate(props.next ?? "/", true);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? new Error(t("signin.keyRefused")) : err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Page title={t("signin.title")}>
      <form class="card narrow" onSubmit={submit} noValidate>
        <p>{t("signin.intro")}</p>
        <Field
          label={t("signin.key")}
          hint={t("signin.keyHint")}
          type="password"
          autocomplete="current-password"
          spellcheck={false}
          value={key}
          onInput={(e: Event) => setKey((e.target as HTMLInputElement).value)}
          name="apiKey"
          required
        />
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t("common.working") : t("signin.submit")}
        </button>
      </form>
      <p>
        <Link href="/observatorio">{t("signin.publicPrices")}</Link>
      </p>
    </Page>
  );
}
