// The lots on the market, as a processor sees them (ListLots across every
// association: those still on offer), cheapest first, filtered by quality
// group, colour and region.
import { useState } from "preact/hooks";
import { api, must, type Schemas } from "../../api/client";
import { t } from "../../i18n";
import { fmtMicrons, fmtMoney, fmtWeight } from "../../i18n/format";
import { MoreButton, usePages } from "../../ui/pages";
import { Busy, Empty, ErrorBox, Page, Select, Table } from "../../ui/ui";
import { breedName, colourName, coloursOf, DEFAULT_STANDARD, findStandard, groupName, groupsOf, useStandards } from "../public/standards";
import { DEPARTMENTS, regionOf } from "../public/regions";
import { lotStateLabel } from "./labels";
import "./market.css";

type Lot = Schemas["v1Lot"];

function onOffer(l: Lot): string {
  return (BigInt(l.netWeightGrams || "0") - BigInt(l.allocatedGrams || "0") - BigInt(l.withdrawnGrams || "0")).toString();
}

export function LotsPage() {
  const standards = useStandards();
  const std = findStandard(standards, DEFAULT_STANDARD);
  const [group, setGroup] = useState("");
  const [colour, setColour] = useState("");
  const [region, setRegion] = useState("");
  const lots = usePages(
    async (token) => {
      // A processor also reads the lots it has trades on, sold or not: only those with grams left are for sale.
      const f: string[] = ["offered_grams > 0"];
      if (group) f.push(`quality_group = "${group}"`);
      if (colour) f.push(`colour = "${colour}"`);
      if (region) f.push(`region = "${region}"`);
      const out = await must(
        api.GET("/v1/associations/{association}/lots", {
          params: {
            path: { association: "-" },
            query: { filter: f.join(" AND "), orderBy: "ask_price_per_kg", pageSize: 50, pageToken: token || undefined },
          },
        }),
      );
      return { items: out.lots, next: out.nextPageToken };
    },
    [group, colour, region],
  );
  return (
    <Page title={t("market.lots.title")}>
      <p class="lead">{t("market.lots.intro")}</p>
      <div class="row filters">
        <Select
          label={t("market.filter.group")}
          value={group}
          options={[["", t("market.filter.allGroups")], ...groupsOf(std)]}
          onChange={(e) => setGroup((e.target as HTMLSelectElement).value)}
        />
        <Select
          label={t("market.filter.colour")}
          value={colour}
          options={[["", t("market.filter.allColours")], ...coloursOf(std)]}
          onChange={(e) => setColour((e.target as HTMLSelectElement).value)}
        />
        <Select
          label={t("market.filter.region")}
          value={region}
          options={[["", t("market.filter.allRegions")], ...DEPARTMENTS]}
          onChange={(e) => setRegion((e.target as HTMLSelectElement).value)}
        />
      </div>
      <ErrorBox error={lots.error} />
      {!lots.ready ? (
        !lots.error && <Busy />
      ) : lots.items.length === 0 ? (
        <Empty>{t("market.lots.none")}</Empty>
      ) : (
        <Table
          caption={t("market.lots.caption")}
          rows={lots.items}
          rowKey={(r) => r.name ?? ""}
          columns={[
            { head: t("market.col.lot"), cell: (r) => r.lotNumber || "—" },
            { head: t("market.col.group"), cell: (r) => groupName(standards, r.marketQualityGroup || r.declaredQualityGroup, r.standard) },
            { head: t("market.col.colour"), cell: (r) => `${colourName(standards, r.colour)} · ${breedName(standards, r.breed)}` },
            {
              head: t("market.col.mfd"),
              cell: (r) => (r.measurement?.meanFiberDiameterUm !== undefined ? fmtMicrons(r.measurement.meanFiberDiameterUm) : t("market.lots.notMeasured")),
              num: true,
            },
            { head: t("market.col.onOffer"), cell: (r) => fmtWeight(onOffer(r)), num: true },
            { head: t("market.col.ask"), cell: (r) => fmtMoney(r.askPricePerKg, r.currencyCode || "PEN"), num: true },
            { head: t("market.col.region"), cell: (r) => regionOf(r.ubigeo) },
            { head: t("market.col.state"), cell: (r) => lotStateLabel(r.state) },
          ]}
        />
      )}
      <MoreButton list={lots} />
    </Page>
  );
}
